"""The user's configuration: host profiles, cache URL, retention, report mail settings (TOML).

Found at ``--config FILE``, else ``$TRACKTUI_CONFIG``, else
``<user config dir>/tracktui/config.toml``. Saving edits the file in place
(tomlkit keeps comments, unknown keys and order; a symlink keeps pointing at
its target) and writes atomically with mode 0600. Passwords are never
written: the SMTP password is named by an environment variable or a file,
and SSH secrets are only asked.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import platformdirs
import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Table

from tracktui.errors import UsageError
from tracktui.journeys.locality import DEFAULT_INTERNAL, Locality
from tracktui.model import DEFAULT_RETENTION_DAYS

APP = "tracktui"
SMTP_SECURITY = ("starttls", "ssl", "none")
MTAS = ("auto", "postfix", "exim", "qmail")
RETENTION_DAYS = (1, 36500)
"""Inclusive range of ``retention_days``: a day to a hundred years (larger overflows date arithmetic)."""
QUEUE_LIFETIME_DAYS = (0.01, 365.0)
"""Inclusive range of a profile's ``queue_lifetime_days`` (Postfix's default is 5)."""
SMTP_PORTS = (1, 65535)
DEFAULT_FILE_MODE = "0600"
_SECRET_KEYS = frozenset({"password", "passphrase", "smtp_password", "secret"})
"""Keys refused outright rather than warned about: a secret must never sit in the config file."""
_FILE_MODE = re.compile(r"0?[0-7]{3}")
Warn = Callable[[str], None]


def default_config_path() -> Path:
    env = os.environ.get("TRACKTUI_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def state_dir() -> Path:
    """tracktui's state directory: ``$TRACKTUI_STATE_DIR``, else ``platformdirs.user_state_dir("tracktui")``."""
    return Path(os.environ.get("TRACKTUI_STATE_DIR") or platformdirs.user_state_dir(APP)).expanduser()


@dataclass
class Profile:
    """One mail host: where it is, which logs, how to read them."""

    name: str
    target: str = "local"
    """``user@host:port``, an alias from ``~/.ssh/config``, or ``local`` for this machine's files."""
    paths: list[str] = field(default_factory=list)
    journal: str | None = None
    mta: str = "auto"
    tz: str | None = None
    sudo: bool = False
    queue_lifetime_days: float | None = None
    host_name: str | None = None
    """Host name for log lines that carry none (Exim's mainlog); default: the target's host, or this
    machine's name for ``local``. Set it for copied logs and for targets that are addresses or aliases."""
    identity_file: str | None = None
    """SSH private key file (``~`` allowed) tried right after the agent; its passphrase is asked, never stored."""
    postfix_config: str | None = None
    """Postfix configuration directory ``tracktui queue`` passes as ``-c DIR``; default: Postfix's own."""

    def source_urls(self) -> list[str]:
        """The ``file:`` / ``ssh://`` URLs this profile reads (``host_name`` becomes their ``host=``)."""
        from tracktui.sources.urls import file_url  # here: tracktui.sources imports this module

        if self.target == "local":
            return [file_url(os.path.expanduser(p), host=self.host_name) for p in self.paths]
        user, _, hostport = self.target.rpartition("@")
        authority = (quote(user, safe="") + "@" if user else "") + hostport
        params: list[str] = []
        if self.sudo:
            params.append("sudo=1")
        if self.mta != "auto":
            params.append(f"mta={self.mta}")
        if self.host_name:
            params.append(f"host={quote(self.host_name, safe='')}")
        query = "&".join(params)
        urls = [
            f"ssh://{authority}{quote(p, safe='/*[]!-._~@+,=')}" + (f"?{query}" if query else "")
            for p in self.paths
        ]
        if self.journal:
            journal = quote(self.journal, safe="@*-._")
            urls.append(f"ssh://{authority}?journal={journal}" + (f"&{query}" if query else ""))
        return urls


@dataclass
class ReportSettings:
    """Where PDFs go and how the monthly report is mailed."""

    output_dir: str = "~/tracktui-reports"
    monthly_to: str | None = None
    mail_from: str | None = None
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_security: str = "starttls"
    smtp_user: str | None = None
    smtp_password_env: str | None = None
    smtp_password_file: str | None = None
    file_mode: str = DEFAULT_FILE_MODE
    """Octal permissions of written PDFs; private (0600) unless the user chooses e.g. ``"0644"``."""

    @property
    def file_mode_bits(self) -> int:
        """``file_mode`` as permission bits (validated when the config is loaded)."""
        return file_mode_bits(self.file_mode)


@dataclass
class Config:
    """Everything in the config file."""

    cache_url: str | None = None
    retention_days: int = DEFAULT_RETENTION_DAYS
    internal_relays: tuple[str, ...] = DEFAULT_INTERNAL
    """Relays and clients on our own side (addresses, CIDR networks, names): a hand-off to one is
    followed to its next hop instead of being called delivered (see :mod:`tracktui.journeys.locality`)."""
    profiles: dict[str, Profile] = field(default_factory=dict)
    report: ReportSettings = field(default_factory=ReportSettings)

    def locality(self) -> Locality:
        """Our own side: ``internal_relays`` plus every profile's host (a relay to a synced host is ours)."""
        hosts: list[str] = []
        for profile in self.profiles.values():
            if profile.host_name:
                hosts.append(profile.host_name)
            target = profile.target.rpartition("@")[2].partition(":")[0]
            if target and target != "local":
                hosts.append(target)
        return Locality.of(self.internal_relays, hosts)


def ensure_private_dir(directory: Path) -> None:
    """Create ``directory`` and missing parents with mode 0700 whatever the umask (existing ones are left alone)."""
    missing: list[Path] = []
    probe = directory
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(folder, 0o700)


def write_file_atomic(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data``: a fresh ``mkstemp`` file beside it (O_EXCL, so a planted symlink is
    never followed), fsync, chmod ``mode``, then ``os.replace``; nothing is left behind on failure."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_mode_bits(text: str) -> int:
    """``report.file_mode`` (octal text such as ``"0644"``) as permission bits; the owner must keep read+write."""
    if not _FILE_MODE.fullmatch(text):
        raise UsageError(f"report.file_mode must be an octal mode such as \"0600\" or \"0644\" (got {text!r})")
    bits = int(text, 8)
    if bits & 0o600 != 0o600:
        raise UsageError(f"report.file_mode {text!r} must let the owner read and write the report")
    return bits


def _ranged(where: str, key: str, value: float, bounds: tuple[float, float]) -> None:
    low, high = bounds
    if not low <= value <= high:
        raise UsageError(f"{where}{key} must be between {low:g} and {high:g} (got {value!r})")


def _check_keys(where: str, data: dict[str, Any], known: set[str], warn: Warn) -> None:
    """Unknown keys are warned about (typos, newer versions); secrets are refused."""
    for key in data:
        if key in known:
            continue
        if key in _SECRET_KEYS:
            raise UsageError(f"{where}.{key}: unknown key; secrets are never read from the config "
                             "(SSH asks; SMTP uses smtp_password_env or smtp_password_file)")
        warn(f"{where}.{key}: unknown key, ignored")


def _typed(where: str, key: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    if kind in (int, float) or kind == (int, float):
        ok = isinstance(value, kind) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise UsageError(f"{where}.{key} has the wrong type ({type(value).__name__})")
    return value


class ProfileError(UsageError):
    """A bad profile value; ``key`` names it so the login form can mark the right field."""

    def __init__(self, key: str, words: str) -> None:
        super().__init__(words)
        self.key = key


def profile_from_values(name: str, data: Any, warn: Warn) -> Profile:
    """The one profile validator, shared by the config file and the login form."""
    return _profile(name, data, warn)


def _profile(name: str, data: Any, warn: Warn) -> Profile:
    where = f"profiles.{name}"
    if not isinstance(data, dict):
        raise UsageError(f"[{where}] must be a table")
    _check_keys(where, data, set(vars(Profile(name))) - {"name"}, warn)
    paths = data.get("paths", [])
    if isinstance(paths, str):
        paths = [paths]
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise ProfileError("paths", f"{where}.paths must be a list of strings")
    mta = _typed(where, "mta", data.get("mta", "auto"), str)
    if mta not in MTAS:
        raise ProfileError("mta", f"{where}.mta must be one of {', '.join(MTAS)}")
    journal = data.get("journal")
    if not paths and not journal:
        raise ProfileError("paths", f"[{where}] needs paths or journal")
    lifetime = data.get("queue_lifetime_days")
    if lifetime is not None:
        _ranged(f"{where}.", "queue_lifetime_days", _typed(where, "queue_lifetime_days", lifetime, (int, float)),
                QUEUE_LIFETIME_DAYS)
    host_name = data.get("host_name")
    if host_name is not None:
        from tracktui.sources.urls import check_host_name

        check_host_name(_typed(where, "host_name", host_name, str), f"{where}.host_name")
    identity = data.get("identity_file")
    if identity is not None and not _typed(where, "identity_file", identity, str).strip():
        raise ProfileError("identity_file", f"{where}.identity_file is empty; remove it or name a key file")
    postfix_config = data.get("postfix_config")
    if postfix_config is not None:
        from tracktui.sources.urls import check_postfix_config

        check_postfix_config(_typed(where, "postfix_config", postfix_config, str), f"{where}.postfix_config")
    return Profile(
        name=name,
        target=_typed(where, "target", data.get("target", "local"), str),
        paths=list(paths),
        journal=None if journal is None else _typed(where, "journal", journal, str),
        mta=mta,
        tz=None if data.get("tz") is None else _typed(where, "tz", data["tz"], str),
        sudo=_typed(where, "sudo", data.get("sudo", False), bool),
        queue_lifetime_days=None if lifetime is None else float(_typed(where, "queue_lifetime_days", lifetime,
                                                                         (int, float))),
        host_name=host_name,
        identity_file=identity,
        postfix_config=postfix_config,
    )


def _report(data: Any, warn: Warn) -> ReportSettings:
    if not isinstance(data, dict):
        raise UsageError("[report] must be a table")
    defaults = ReportSettings()
    _check_keys("report", data, set(vars(defaults)), warn)
    values: dict[str, Any] = {}
    for key, default in vars(defaults).items():
        if key not in data:
            continue
        kind: type | tuple[type, ...] = int if isinstance(default, int) else str
        values[key] = _typed("report", key, data[key], kind)
    settings = ReportSettings(**values)
    if settings.smtp_security not in SMTP_SECURITY:
        raise UsageError(f"report.smtp_security must be one of {', '.join(SMTP_SECURITY)}")
    _ranged("report.", "smtp_port", settings.smtp_port, SMTP_PORTS)
    file_mode_bits(settings.file_mode)
    return settings


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    """Default warning sink: one stderr line per distinct message per process (the config is read often)."""
    if message not in _warned:
        _warned.add(message)
        print(f"tracktui: warning: {message}", file=sys.stderr)


def load_config(path: Path | None = None, *, warn: Warn | None = None) -> Config:
    """The configuration at ``path`` (default location if ``None``); defaults if the file does not exist.

    Every mistake is one :class:`UsageError` line naming the file and the key;
    unknown keys go to ``warn`` (default: stderr), also naming file and key.
    """
    path = path or default_config_path()
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        raise UsageError(f"config: cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"config: {path} is not valid TOML: {exc}") from None
    sink = warn or _warn_once
    try:
        return _config(data, lambda message: sink(f"config: {path}: {message}"))
    except UsageError as exc:
        raise UsageError(f"config: {path}: {exc}") from None


def _config(data: dict[str, Any], warn: Warn) -> Config:
    _check_keys("", data, {"cache", "retention_days", "internal_relays", "profiles", "report"},
                lambda m: warn(m.lstrip(".")))
    internal = data.get("internal_relays", list(DEFAULT_INTERNAL))
    if not isinstance(internal, list) or not all(isinstance(item, str) for item in internal):
        raise UsageError("internal_relays must be a list of addresses, networks or host names")
    cache = data.get("cache")
    retention = data.get("retention_days", DEFAULT_RETENTION_DAYS)
    if cache is not None:
        _typed("", "cache", cache, str)
    _typed("", "retention_days", retention, int)
    if retention < RETENTION_DAYS[0]:
        raise UsageError(f"retention_days must be at least {RETENTION_DAYS[0]}")
    _ranged("", "retention_days", retention, RETENTION_DAYS)
    profiles_data = data.get("profiles", {})
    if not isinstance(profiles_data, dict):
        raise UsageError("[profiles] must be a table")
    return Config(
        cache_url=cache,
        retention_days=retention,
        internal_relays=tuple(internal),
        profiles={name: _profile(name, value, warn) for name, value in profiles_data.items()},
        report=_report(data.get("report", {}), warn),
    )


def _update(table: Any, values: dict[str, Any], defaults: dict[str, Any]) -> None:
    """Set the keys that changed; drop known keys now ``None``; leave defaults unwritten and others untouched."""
    for key, value in values.items():
        if value is None or (key not in table and value == defaults.get(key)):
            if value is None and key in table:
                del table[key]
            continue
        if key not in table or table[key] != value:
            table[key] = value


def _read_document(path: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return tomlkit.document()
    except OSError as exc:
        raise UsageError(f"config: cannot read {path}: {exc.strerror}") from None
    except (TOMLKitError, UnicodeDecodeError) as exc:
        raise UsageError(f"config: {path} is not valid TOML: {exc}") from None


def save_config(config: Config, path: Path | None = None) -> None:
    """Write ``config`` into the file at ``path``, editing it in place (comments, unknown keys and order stay).

    A symlink is followed (its target changes, the link stays); the write is
    atomic (temp file in the target's directory, fsync, rename) with mode 0600.
    """
    path = path or default_config_path()
    target = path.resolve()
    document = _read_document(target)
    if config.cache_url:
        _update(document, {"cache": config.cache_url}, {})
    elif "cache" in document:
        del document["cache"]
    _update(document, {"retention_days": config.retention_days}, {"retention_days": Config().retention_days})
    if config.profiles or "profiles" in document:
        profiles = document.setdefault("profiles", tomlkit.table(is_super_table=True))
        for name in [n for n in profiles if n not in config.profiles]:
            del profiles[name]
        defaults = {k: v for k, v in vars(Profile("")).items() if k != "name"}
        for name, profile in config.profiles.items():
            if name not in profiles:
                profiles[name] = tomlkit.table()
            values = {k: v for k, v in vars(profile).items() if k != "name"}
            _update(profiles[name], values, {k: v for k, v in defaults.items() if k != "paths"})
    report_values = dict(vars(config.report))
    report_defaults = dict(vars(ReportSettings()))
    if "report" in document or any(v != report_defaults[k] for k, v in report_values.items()):
        report = document.setdefault("report", tomlkit.table())
        if isinstance(report, Table):
            _update(report, report_values, report_defaults)
    ensure_private_dir(target.parent)
    write_file_atomic(target, tomlkit.dumps(document).encode("utf-8"), mode=0o600)
