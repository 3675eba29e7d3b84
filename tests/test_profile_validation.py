"""The shared profile validator carries the offending key (issue 10)."""

import pytest

from tracktui.config import ProfileError, profile_from_values
from tracktui.errors import UsageError


def test_bad_mta_names_the_key() -> None:
    with pytest.raises(ProfileError) as caught:
        profile_from_values("box", {"paths": ["/var/log/mail.log"], "mta": "sendmail"}, lambda _w: None)
    assert caught.value.key == "mta"
    assert isinstance(caught.value, UsageError)
    assert "profiles.box.mta must be one of" in str(caught.value)


def test_missing_paths_names_paths() -> None:
    with pytest.raises(ProfileError) as caught:
        profile_from_values("box", {}, lambda _w: None)
    assert caught.value.key == "paths"
