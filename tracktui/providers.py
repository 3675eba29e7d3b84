"""Mail providers and their own reply codes, from the catalogue in ``data/providers.toml``.

Big receivers (Gmail, Microsoft, Yahoo...) put their own codes on generic SMTP ones:
Gmail's ``5.7.26``, Microsoft's ``S3150`` or ``5.7.708``, Yahoo's ``[TSS04]``. Each has a
documented meaning and a help page, and says more than RFC 3463 can. The catalogue is data a
maintainer extends without touching code; every entry cites where its meaning is documented.
It is loaded and checked once at import: a malformed entry fails loudly (tests import this),
never silently at the first matching reply.

:func:`provider_of` recognises the provider from the relay host or markers in the reply;
:func:`provider_code` finds the documented code a reply carries. Pure: the only file read is
the catalogue shipped inside the package.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from importlib.resources import files

from tracktui.smtp_codes import REASONS

__all__ = ["PROVIDERS", "Provider", "ProviderCode", "load_providers", "provider_code", "provider_of"]

_HOST_IN_REPLY = re.compile(r"\bhost\s+([A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,})\.?\s*\[", re.IGNORECASE)
_RELAY_HOST = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9.-]*)")
_DSN = re.compile(r"^([245]\.\d{1,3}\.)(\d{1,3})(?:-(\d{1,3}))?$")


class CatalogueError(ValueError):
    """The provider catalogue is malformed: names the entry and what is wrong."""


@dataclass(frozen=True, slots=True)
class ProviderCode:
    """One documented provider code: how to recognise it and what it means.

    A reply matches when every given test holds: ``dsn`` (one of the enhanced codes),
    ``code`` (one of the basic reply codes) and ``pattern`` (searched in the reply text).
    """

    reason: str
    """One of :data:`~tracktui.smtp_codes.REASONS`."""
    summary: str
    """One sentence for a non-expert, in the provider's terms."""
    advice: str
    """What the administrator can do."""
    help_url: str | None
    """The provider's own page for this code (the provider's general page when ``None``)."""
    source: str
    """Where this meaning is documented."""
    dsn: tuple[str, ...] = ()
    """Enhanced codes, ranges expanded (the catalogue may say ``5.7.606-649``)."""
    code: tuple[int, ...] = ()
    pattern: re.Pattern[str] | None = None

    def matches(self, code: int | None, dsn: str | None, text: str) -> bool:
        """Whether a reply with these codes and words is this provider code."""
        if self.dsn and dsn not in self.dsn:
            return False
        if self.code and code not in self.code:
            return False
        return self.pattern is None or bool(self.pattern.search(text))


@dataclass(frozen=True, slots=True)
class Provider:
    """A mail provider: display name, how to recognise it, its help page and its codes."""

    key: str
    name: str
    help_url: str
    source: str
    relays: tuple[str, ...]
    """Globs of the provider's MX/relay host names, lower case (``*.mail.protection.outlook.com``)."""
    markers: re.Pattern[str] | None
    """Words only this provider puts in its replies (``gsmtp``, ``[TSS04]``)."""
    codes: tuple[ProviderCode, ...]
    """Documented codes, most specific first: the first that matches wins."""

    def serves(self, host: str) -> bool:
        """Whether ``host`` (lower case) is one of this provider's servers."""
        return any(fnmatchcase(host, glob) for glob in self.relays)


def load_providers(text: str) -> tuple[Provider, ...]:
    """Parse and check a catalogue in the format of ``data/providers.toml``; raises :class:`CatalogueError`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"providers.toml: {error}") from error
    providers: list[Provider] = []
    seen: set[str] = set()
    for index, entry in enumerate(data.get("provider", [])):
        key = _string(entry, "key", f"provider #{index + 1}")
        where = f"provider {key!r}"
        if key in seen:
            raise CatalogueError(f"{where}: defined twice")
        seen.add(key)
        relays = tuple(_strings(entry, "relays", where))
        if any(glob != glob.lower() or not glob for glob in relays):
            raise CatalogueError(f"{where}: relays must be non-empty lower-case globs")
        markers = tuple(_strings(entry, "markers", where))
        if not relays and not markers:
            raise CatalogueError(f"{where}: needs relays or markers to be recognised")
        codes = tuple(_code(item, f"{where} code #{number + 1}") for number, item in
                      enumerate(entry.get("code", [])))
        unknown = set(entry) - {"key", "name", "help_url", "source", "relays", "markers", "code"}
        if unknown:
            raise CatalogueError(f"{where}: unknown fields {sorted(unknown)}")
        providers.append(Provider(
            key=key,
            name=_string(entry, "name", where),
            help_url=_url(entry, "help_url", where),
            source=_url(entry, "source", where),
            relays=relays,
            markers=_regex("|".join(f"(?:{marker})" for marker in markers), where) if markers else None,
            codes=codes,
        ))
    if not providers:
        raise CatalogueError("providers.toml: no [[provider]] entries")
    return tuple(providers)


def _code(item: dict[str, object], where: str) -> ProviderCode:
    unknown = set(item) - {"dsn", "code", "pattern", "reason", "summary", "advice", "help_url", "source"}
    if unknown:
        raise CatalogueError(f"{where}: unknown fields {sorted(unknown)}")
    reason = _string(item, "reason", where)
    if reason not in REASONS:
        raise CatalogueError(f"{where}: reason {reason!r} is not one of {sorted(REASONS)}")
    dsns = tuple(code for text in _strings(item, "dsn", where) for code in _dsn_range(text, where))
    codes = item.get("code", [])
    if not isinstance(codes, list) or not all(isinstance(c, int) and 400 <= c <= 599 for c in codes):
        raise CatalogueError(f"{where}: code must be a list of 4xx/5xx reply codes")
    pattern = item.get("pattern")
    if pattern is not None and not isinstance(pattern, str):
        raise CatalogueError(f"{where}: pattern must be a string")
    if not dsns and pattern is None:
        raise CatalogueError(f"{where}: needs a dsn or a pattern (a bare reply code says too little)")
    return ProviderCode(
        reason=reason,
        summary=_string(item, "summary", where),
        advice=_string(item, "advice", where),
        help_url=_url(item, "help_url", where) if "help_url" in item else None,
        source=_url(item, "source", where),
        dsn=dsns,
        code=tuple(codes),
        pattern=_regex(pattern, where) if pattern is not None else None,
    )


def _dsn_range(text: str, where: str) -> list[str]:
    """``5.7.26`` -> itself; ``5.7.606-649`` -> every code of the range (Microsoft documents ranges)."""
    match = _DSN.match(text)
    if match is None:
        raise CatalogueError(f"{where}: dsn {text!r} must look like 5.7.26 or 5.7.606-649")
    prefix, first, last = match.group(1), int(match.group(2)), int(match.group(3) or match.group(2))
    if last < first:
        raise CatalogueError(f"{where}: dsn range {text!r} runs backwards")
    return [f"{prefix}{detail}" for detail in range(first, last + 1)]


def _string(entry: dict[str, object], field: str, where: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: {field} must be a non-empty string")
    return value


def _strings(entry: dict[str, object], field: str, where: str) -> list[str]:
    value = entry.get(field, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise CatalogueError(f"{where}: {field} must be a list of strings")
    return value


def _url(entry: dict[str, object], field: str, where: str) -> str:
    value = _string(entry, field, where)
    if not value.startswith(("https://", "http://")):
        raise CatalogueError(f"{where}: {field} must be an http(s):// URL")
    return value


def _regex(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise CatalogueError(f"{where}: bad pattern {pattern!r}: {error}") from error


PROVIDERS: tuple[Provider, ...] = load_providers(
    files("tracktui").joinpath("data", "providers.toml").read_text(encoding="utf-8"))
"""The shipped catalogue, in file order."""


def _host(relay: str | None, reply: str) -> str | None:
    """The remote host name: the relay's (``mx.example.net[192.0.2.7]:25``) or the one the reply names."""
    if relay:
        match = _RELAY_HOST.match(relay)
        if match and not match.group(1).replace(".", "").isdigit():
            return match.group(1).lower().rstrip(".")
    match = _HOST_IN_REPLY.search(reply) if reply else None
    return match.group(1).lower() if match else None


@lru_cache(maxsize=4096)
def provider_of(relay: str | None, reply: str | None) -> Provider | None:
    """The provider behind a reply: by the relay host first, then by markers in the reply; ``None`` if unknown."""
    text = (reply or "")[:4000]
    host = _host(relay, text)
    if host is not None:
        for provider in PROVIDERS:
            if provider.serves(host):
                return provider
    for provider in PROVIDERS:
        if provider.markers is not None and provider.markers.search(text):
            return provider
    return None


def provider_code(provider: Provider, code: int | None, dsn: str | None, reply: str) -> ProviderCode | None:
    """The first documented code of ``provider`` that this reply carries, or ``None``."""
    text = reply.replace("\n", " ")
    for entry in provider.codes:
        if entry.matches(code, dsn, text):
            return entry
    return None
