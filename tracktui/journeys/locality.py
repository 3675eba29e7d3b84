"""Which way one leg went: to a remote server, to one of our own relays or filters, into a mailbox.

Pure rules on what a delivery line says (its relay field, the reply, whether our own
server refused the client), used when rows are built and when legs are linked into
journeys (:mod:`tracktui.cache.journeys`). The rules, as documented in the README's
"How it decides":

- A relay is **internal** when it matches one of the configured internal relays: an
  address, a network in CIDR form, a host name, one address and port (``127.0.0.1:10024``:
  that port only), or one of the synced hosts' names. The default is loopback
  (``127.0.0.0/8``, ``::1``) and ``localhost``. A *client* on loopback is always ours (it
  runs on this machine), whatever the list says.
- A leg to an internal relay over SMTP is a **hand-off** (a content filter such as
  amavisd-new on 127.0.0.1:10024, or our own next relay): its outcome is the next hop's.
  The next hop is named by the reply (``queued as X``, amavis ``queued_as: X``, Exim
  ``id=X``) or, without one, found by Message-ID and recipient.
- LMTP on port 24, unix sockets (``private/dovecot-lmtp``) and the non-SMTP transports
  (``local``, ``virtual``, ``pipe`` names such as ``dovecot``) are **mailbox** deliveries:
  final, on this host.
- A refusal written by our own server (``NOQUEUE: reject``, postscreen, an Exim ACL) is
  **refused here**: the client is the other party, not a recipient's server.
- Anything else (a remote MX, or ``none`` when no server was reached) is **remote**.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from functools import lru_cache
from typing import Final


class LegKind(IntEnum):
    """What kind of next hop one delivery leg had (stored as a small integer)."""

    REMOTE = 0
    HANDOFF = 1
    MAILBOX = 2
    REFUSED_HERE = 3


class Direction(StrEnum):
    """Which way a journey's mail went."""

    OUTBOUND = "outbound"
    """We handed (or tried to hand) the mail to a remote server."""
    INBOUND = "inbound"
    """A remote client handed the mail to us (including our refusals of it)."""
    LOCAL = "local"
    """Submitted on our side and delivered into a mailbox on our side."""


DIRECTION_CODES: Final = tuple(Direction)
"""Directions are stored as small integers: index order = this order."""
DIRECTION_TO_CODE: Final = {d: i for i, d in enumerate(DIRECTION_CODES)}
CODE_TO_DIRECTION: Final = dict(enumerate(DIRECTION_CODES))

DEFAULT_INTERNAL: Final = ("127.0.0.0/8", "::1", "localhost")

_NEXT_QUEUE_ID: Final = re.compile(
    r"(?:queued as|queued_as:?|\bid=)\s*<?([A-Za-z0-9][A-Za-z0-9._-]{4,40})>?", re.IGNORECASE
)
"""Postfix ``Ok: queued as X``, amavis ``queued_as: X``, Exim ``250 OK id=X``; the last one wins
(amavis quotes the reinjection's reply, whose queue id is the one that matters)."""
_RELAY: Final = re.compile(r"^(?P<name>[^\[\s]*)(?:\[(?P<addr>[^\]]*)\])?(?::(?P<port>\d+))?")
_LMTP_PORT: Final = "24"
_ENDPOINT: Final = re.compile(r"^(?:\[([^\]]+)\]|([^:\[\]]+)):(\d+)$")
"""``127.0.0.1:10024``, ``[::1]:10024``, ``filter.lan:10024`` (a bare IPv6 address has several colons: no port)."""


def next_queue_id(reply: str | None) -> str | None:
    """The next hop's queue id named in an accepting reply, or ``None``."""
    if not reply or ("queued" not in reply and "id=" not in reply):
        return None
    found = _NEXT_QUEUE_ID.findall(reply)
    return found[-1] if found else None


@dataclass(frozen=True, slots=True)
class Locality:
    """What counts as our own side: internal relay addresses, networks and names."""

    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    names: frozenset[str] = field(default_factory=frozenset)
    endpoints: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    """(address or name, port) pairs: that one service is ours, not the whole address."""

    @classmethod
    def of(cls, internal: Iterable[str] = DEFAULT_INTERNAL, hosts: Iterable[str] = ()) -> Locality:
        """From configured entries (addresses, CIDR networks, names, ``address:port``) and the synced hosts."""
        networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        names: set[str] = set()
        endpoints: set[tuple[str, str]] = set()
        for entry in [*internal, *hosts]:
            text = entry.strip().lower()
            if not text:
                continue
            endpoint = _ENDPOINT.match(text)
            if endpoint is not None:
                endpoints.add((endpoint.group(1) or endpoint.group(2), endpoint.group(3)))
                continue
            try:
                networks.append(ipaddress.ip_network(text.strip("[]"), strict=False))
            except ValueError:
                names.add(text.rstrip("."))
        return cls(tuple(networks), frozenset(names), frozenset(endpoints))

    def is_internal_address(self, address: str | None) -> bool:
        if not address:
            return False
        text = address.strip("[]").lower()
        if text.startswith("ipv6:"):
            text = text[5:]
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    def is_internal_name(self, name: str | None) -> bool:
        if not name:
            return False
        text = name.lower().rstrip(".")
        if text in self.names:
            return True
        short = text.partition(".")[0]
        return short in self.names

    def is_internal_client(self, client: str | None) -> bool:
        """A message's client (``name[addr]`` or a bare address) is on our side (loopback always is)."""
        if not client:
            return False
        return _internal_client(self, client)

    def _internal_client(self, client: str) -> bool:
        match = _RELAY.match(client.strip())
        if match is None:
            return False
        addr = match.group("addr")
        if addr is not None:
            return _is_loopback(addr) or self.is_internal_address(addr)
        name = match.group("name")
        return (_is_loopback(name) or name.lower() == "localhost" or self.is_internal_address(name)
                or self.is_internal_name(name))

    def leg_kind(self, relay: str | None, *, refused_here: bool, sent: bool) -> LegKind:
        """Classify one leg by its relay field (see the module docstring).

        A bare name without an address is a local transport (Postfix ``relay=local``,
        ``relay=dovecot``); no relay at all on a successful delivery is one too (Exim's
        ``T=local_delivery``), while a failure without a relay never reached a server.
        """
        if refused_here:
            return LegKind.REFUSED_HERE
        if not relay or relay == "none":
            return LegKind.MAILBOX if sent and relay is None else LegKind.REMOTE
        match = _RELAY.match(relay.strip())
        if match is None:
            return LegKind.REMOTE
        name, addr, port = match.group("name"), match.group("addr"), match.group("port")
        if addr is None:
            if not _looks_like_address(name):
                return LegKind.MAILBOX
            addr, name = name, ""
        if "/" in addr or addr.startswith(("private", "public")):
            return LegKind.MAILBOX  # a unix socket: LMTP to the local mailbox server
        if port is not None and ((addr.lower(), port) in self.endpoints or (name.lower(), port) in self.endpoints):
            return LegKind.MAILBOX if port == _LMTP_PORT else LegKind.HANDOFF
        if self.is_internal_address(addr) or self.is_internal_name(name):
            return LegKind.MAILBOX if port == _LMTP_PORT else LegKind.HANDOFF
        return LegKind.REMOTE


@lru_cache(maxsize=65536)
def _internal_client(locality: Locality, client: str) -> bool:
    """Remembered: a log names the same clients again and again."""
    return locality._internal_client(client)


def _is_loopback(text: str) -> bool:
    try:
        return ipaddress.ip_address(text.strip("[]").removeprefix("IPv6:").removeprefix("ipv6:")).is_loopback
    except ValueError:
        return False


def _looks_like_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


DEFAULT_LOCALITY: Final = Locality.of()


def direction_of(first_client: str | None, first_leg: LegKind, final_leg: LegKind, locality: Locality) -> Direction:
    """A journey's direction from where it came from and what its last leg was.

    A refusal by our server is inbound (a client handed mail to us) unless that client is
    our own; mail ending in a mailbox here is inbound from a remote client, local from our
    side (pickup, loopback, an internal relay); everything else went out.
    """
    if final_leg is not LegKind.MAILBOX and LegKind.REFUSED_HERE not in (first_leg, final_leg):
        return Direction.OUTBOUND
    ours = first_client is None or locality.is_internal_client(first_client)
    return Direction.LOCAL if ours else Direction.INBOUND
