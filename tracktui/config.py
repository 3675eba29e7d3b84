"""The user's configuration: host profiles, cache URL, retention, report mail settings (TOML).

Found at ``--config FILE``, else ``$TRACKTUI_CONFIG``, else
``<user config dir>/tracktui/config.toml``. Written atomically (temp file +
rename) with mode 0600. Passwords are never written: the SMTP password is
named by an environment variable or a file, and SSH secrets are only asked.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import platformdirs
import tomli_w

from tracktui.errors import UsageError

APP = "tracktui"
SMTP_SECURITY = ("starttls", "ssl", "none")
MTAS = ("auto", "postfix", "exim", "qmail")


def default_config_path() -> Path:
    env = os.environ.get("TRACKTUI_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def default_cache_url() -> str:
    """``sqlite:///...`` of the cache file in the user's cache directory."""
    return f"sqlite:///{Path(platformdirs.user_cache_dir(APP)) / 'cache.sqlite3'}"


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


@dataclass
class Config:
    """Everything in the config file."""

    cache_url: str | None = None
    retention_days: int = 60
    profiles: dict[str, Profile] = field(default_factory=dict)
    report: ReportSettings = field(default_factory=ReportSettings)


def _typed(where: str, key: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    if kind in (int, float) or kind == (int, float):
        ok = isinstance(value, kind) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise UsageError(f"config: {where}.{key} has the wrong type ({type(value).__name__})")
    return value


def _profile(name: str, data: Any) -> Profile:
    where = f"profiles.{name}"
    if not isinstance(data, dict):
        raise UsageError(f"config: [{where}] must be a table")
    known = {"target", "paths", "journal", "mta", "tz", "sudo", "queue_lifetime_days", "host_name", "identity_file"}
    unknown = set(data) - known
    if unknown:
        raise UsageError(f"config: [{where}] has unknown key {sorted(unknown)[0]!r}")
    paths = data.get("paths", [])
    if isinstance(paths, str):
        paths = [paths]
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise UsageError(f"config: {where}.paths must be a list of strings")
    mta = _typed(where, "mta", data.get("mta", "auto"), str)
    if mta not in MTAS:
        raise UsageError(f"config: {where}.mta must be one of {', '.join(MTAS)}")
    journal = data.get("journal")
    if not paths and not journal:
        raise UsageError(f"config: [{where}] needs paths or journal")
    lifetime = data.get("queue_lifetime_days")
    host_name = data.get("host_name")
    if host_name is not None:
        from tracktui.sources.urls import check_host_name

        check_host_name(_typed(where, "host_name", host_name, str), f"config: {where}.host_name")
    identity = data.get("identity_file")
    if identity is not None and not _typed(where, "identity_file", identity, str).strip():
        raise UsageError(f"config: {where}.identity_file is empty; remove it or name a key file")
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
    )


def _report(data: Any) -> ReportSettings:
    if not isinstance(data, dict):
        raise UsageError("config: [report] must be a table")
    defaults = ReportSettings()
    values: dict[str, Any] = {}
    for key, default in vars(defaults).items():
        if key not in data:
            continue
        kind: type | tuple[type, ...] = int if isinstance(default, int) else str
        values[key] = _typed("report", key, data[key], kind)
    unknown = set(data) - set(vars(defaults))
    if unknown:
        raise UsageError(f"config: [report] has unknown key {sorted(unknown)[0]!r}")
    settings = ReportSettings(**values)
    if settings.smtp_security not in SMTP_SECURITY:
        raise UsageError(f"config: report.smtp_security must be one of {', '.join(SMTP_SECURITY)}")
    return settings


def load_config(path: Path | None = None) -> Config:
    """The configuration at ``path`` (default location if ``None``); defaults if the file does not exist."""
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
    cache = data.get("cache")
    retention = data.get("retention_days", 60)
    if cache is not None:
        _typed("", "cache", cache, str)
    _typed("", "retention_days", retention, int)
    if retention < 1:
        raise UsageError("config: retention_days must be at least 1")
    profiles_data = data.get("profiles", {})
    if not isinstance(profiles_data, dict):
        raise UsageError("config: [profiles] must be a table")
    return Config(
        cache_url=cache,
        retention_days=retention,
        profiles={name: _profile(name, value) for name, value in profiles_data.items()},
        report=_report(data.get("report", {})),
    )


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def save_config(config: Config, path: Path | None = None) -> None:
    """Write ``config`` atomically with mode 0600 (temp file in the same directory, then rename)."""
    path = path or default_config_path()
    data: dict[str, Any] = {}
    if config.cache_url:
        data["cache"] = config.cache_url
    data["retention_days"] = config.retention_days
    data["profiles"] = {
        name: _drop_none({k: v for k, v in vars(p).items() if k != "name"}) for name, p in config.profiles.items()
    }
    data["report"] = _drop_none(dict(vars(config.report)))
    text = tomli_w.dumps(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
