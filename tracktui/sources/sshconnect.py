"""Open an authenticated SSH transport the way OpenSSH users expect.

- ``~/.ssh/config`` (Host aliases, HostName, User, Port, IdentityFile, ProxyJump).
- Host keys from ``/etc/ssh/ssh_known_hosts`` and ``~/.ssh/known_hosts``. An unknown
  key raises :class:`UnknownHostKeyError` (type + ``SHA256:`` fingerprint) unless
  the caller accepts it, which records it in the user's file; a changed key is
  always refused (:class:`ChangedHostKeyError`). Never ``AutoAddPolicy``.
- Authentication: agent keys, then the key files the caller names (a profile's
  ``identity_file``, the login screen's Key file field), then ``IdentityFile`` of
  ``~/.ssh/config`` and the default ``~/.ssh/id_*`` keys (encrypted keys ask for
  their passphrase), then password (or keyboard-interactive answering the password).
  A named key file that is missing or not a private key is an error
  (:class:`KeyFileError`); the others are skipped when unusable, as ``ssh`` does.
- Timeouts on connect, banner, handshake and auth; keepalive every 30 s.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import logging
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
from paramiko.hostkeys import HostKeyEntry

from tracktui.errors import HostError, os_reason
from tracktui.sources.base import AuthCallbacks, ChangedHostKeyError, UnknownHostKeyError, WarnCallback

CONNECT_TIMEOUT = 15.0
AUTH_TIMEOUT = 30.0
KEEPALIVE = 30
SYSTEM_KNOWN_HOSTS = Path("/etc/ssh/ssh_known_hosts")
DEFAULT_KEYS = ("id_ed25519", "id_ecdsa", "id_rsa")
_FAST_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")


def _quiet_paramiko() -> None:
    """Keep paramiko's own log (a traceback for a port that is not SSH) off the user's terminal.

    Every failure paramiko logs also reaches tracktui as an exception, which becomes the one
    line the user sees. Without a handler Python's last-resort handler would print paramiko's
    warnings to stderr; a caller that wants them (debugging) attaches a handler to the
    ``paramiko`` logger and sets ``propagate`` back to true.
    """
    logger = logging.getLogger("paramiko")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


_quiet_paramiko()


class KeyFileError(HostError):
    """A key file the user named cannot be used: missing, unreadable, not a private key, wrong passphrase."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"key file {path}: {problem}")
        self.path = path


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style ``SHA256:base64-without-padding`` fingerprint."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def load_known_hosts(path: Path, warn: WarnCallback | None = None) -> paramiko.HostKeys:
    """The entries of one known_hosts file, each line parsed on its own, as OpenSSH does.

    paramiko's own loader stops at the first line it cannot parse (any host's, so every
    connection fails) and does not name the file for a byte that is not UTF-8. Here a bad
    line is skipped and ``warn`` told its file and number. ``@cert-authority`` and
    ``@revoked`` lines are left out: paramiko checks neither certificates nor revocations,
    and a key that is only recorded as revoked is not trusted anyway.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HostError(f"cannot read known hosts file {path}: {os_reason(exc)}") from None
    host_keys = paramiko.HostKeys()
    entries = host_keys._entries  # no public way to add a parsed entry with all its names
    for number, raw in enumerate(data.splitlines(), 1):
        raw = raw.strip()
        if not raw or raw.startswith(b"#") or raw.startswith(b"@"):
            continue
        try:
            line = raw.decode("utf-8")
            entry = HostKeyEntry.from_line(line, number)
        except UnicodeDecodeError:
            problem = "not UTF-8"
        except Exception:  # paramiko raises InvalidHostKey (not an SSHException), SSHException, ValueError...
            problem = "malformed entry"
        else:
            if entry is not None:
                entries.append(entry)
                continue
            if len(line.split()) >= 3:
                continue  # a key type paramiko does not know: not an error in the file
            problem = "malformed entry"
        if warn is not None:
            warn(f"{path} line {number}: {problem}, skipped")
    return host_keys


@dataclass(frozen=True, slots=True)
class Target:
    """Where to connect, after ``~/.ssh/config`` was applied."""

    alias: str
    hostname: str
    port: int
    user: str
    identity_files: tuple[str, ...] = ()
    proxy_jump: str | None = None

    @property
    def known_hosts_name(self) -> str:
        return self.hostname if self.port == 22 else f"[{self.hostname}]:{self.port}"

    @property
    def label(self) -> str:
        port = "" if self.port == 22 else f":{self.port}"
        return f"{self.user}@{self.alias}{port}"


def _split_spec(spec: str) -> tuple[str | None, str, int | None]:
    """``[user@]host[:port]`` (ProxyJump syntax) into its parts."""
    user, _, hostport = spec.rpartition("@")
    host, port = hostport, None
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
    elif hostport.count(":") == 1:
        host, _, text = hostport.partition(":")
        if not text.isdigit():
            raise HostError(f"{spec}: bad port {text!r} in SSH target")
        port = int(text)
    return (user or None), host, port


def resolve(host: str, user: str | None, port: int | None, ssh_config_path: Path | None) -> Target:
    """Apply ``~/.ssh/config`` to a host name or alias; explicit user/port win over the config."""
    path = ssh_config_path if ssh_config_path is not None else Path.home() / ".ssh" / "config"
    options: dict[str, object] = {}
    if path.is_file():
        try:
            options = dict(paramiko.SSHConfig.from_path(str(path)).lookup(host))
        except (OSError, paramiko.SSHException, ValueError) as exc:
            raise HostError(f"{host}: cannot read SSH config {path}: {exc}") from exc
    hostname = str(options.get("hostname", host))
    try:
        config_port = int(str(options.get("port", 22)))
    except ValueError:
        raise HostError(f"{host}: bad Port in {path}") from None
    identity = options.get("identityfile") or []
    jump = options.get("proxyjump")
    if isinstance(jump, str) and jump.lower() == "none":
        jump = None
    return Target(
        alias=host,
        hostname=hostname,
        port=port or config_port,
        user=user or str(options.get("user") or getpass.getuser()),
        identity_files=tuple(str(p) for p in identity) if isinstance(identity, list) else (),
        proxy_jump=str(jump) if jump else None,
    )


@dataclass
class Connection:
    """An authenticated transport, plus the jump hosts' transports it runs through."""

    target: Target
    transport: paramiko.Transport
    jumps: list[paramiko.Transport] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.transport.is_active()

    def close(self) -> None:
        self.transport.close()
        for jump in reversed(self.jumps):
            jump.close()


@dataclass
class Connector:
    """Everything needed to open connections: prompts, host key decisions, file locations."""

    auth: AuthCallbacks = field(default_factory=AuthCallbacks)
    accept_new_host_key: bool = False
    ssh_config_path: Path | None = None
    known_hosts_path: Path | None = None
    compression: bool = False
    timeout: float = CONNECT_TIMEOUT
    identity_files: tuple[str, ...] = ()
    """Key files named by the caller (``~`` allowed), tried right after the agent on every hop."""

    @property
    def user_known_hosts(self) -> Path:
        return self.known_hosts_path or Path.home() / ".ssh" / "known_hosts"

    def connect(
        self, host: str, user: str | None = None, port: int | None = None, *, warn: WarnCallback | None = None
    ) -> Connection:
        """Connect (through ProxyJump hops if configured) and authenticate; :class:`HostError` on failure.

        ``warn`` receives one line per entry skipped in a known_hosts file.
        """
        target = resolve(host, user, port, self.ssh_config_path)
        hops: list[Target] = []
        for spec in (target.proxy_jump or "").split(","):
            if spec.strip():
                hop_user, hop_host, hop_port = _split_spec(spec.strip())
                hop = resolve(hop_host, hop_user, hop_port, self.ssh_config_path)
                hops.append(Target(hop.alias, hop.hostname, hop.port, hop.user, hop.identity_files, None))
        chain = [*hops, target]
        jumps: list[paramiko.Transport] = []
        try:
            sock: socket.socket | paramiko.Channel = self._socket(chain[0])
            for index, hop in enumerate(hops):
                jumps.append(self._open(hop, sock, compression=False, warn=warn))
                sock = self._tunnel(jumps[-1], hop, chain[index + 1])
            transport = self._open(target, sock, compression=self.compression, warn=warn)
        except BaseException:
            for jump in reversed(jumps):
                jump.close()
            raise
        return Connection(target, transport, jumps)

    def _socket(self, target: Target) -> socket.socket:
        where = f"{target.hostname}:{target.port}"
        try:
            return socket.create_connection((target.hostname, target.port), timeout=self.timeout)
        except socket.gaierror as exc:
            raise HostError(f"{target.alias}: cannot resolve host name {target.hostname} ({exc.strerror}); "
                            "check the name or your ~/.ssh/config") from None
        except ConnectionRefusedError:
            raise HostError(f"{target.alias}: connection refused by {where}; is sshd running on that port?") from None
        except TimeoutError:
            raise HostError(
                f"{target.alias}: timed out connecting to {where}; check the host, port and firewall"
            ) from None
        except OSError as exc:
            raise HostError(f"{target.alias}: cannot connect to {where}: {os_reason(exc)}") from None

    def _tunnel(self, jump: paramiko.Transport, via: Target, target: Target) -> paramiko.Channel:
        try:
            return jump.open_channel("direct-tcpip", (target.hostname, target.port), ("127.0.0.1", 0),
                                     timeout=self.timeout)
        except (paramiko.SSHException, OSError) as exc:
            raise HostError(f"{target.alias}: jump host {via.alias} cannot reach "
                            f"{target.hostname}:{target.port} ({exc})") from None

    def _open(
        self, target: Target, sock: socket.socket | paramiko.Channel, *, compression: bool, warn: WarnCallback | None
    ) -> paramiko.Transport:
        transport = paramiko.Transport(sock)
        try:
            transport.banner_timeout = self.timeout
            transport.handshake_timeout = self.timeout
            transport.auth_timeout = AUTH_TIMEOUT
            transport.use_compression(compression)
            options = transport.get_security_options()
            # AES-GCM first: no separate HMAC pass, about 1.5x the throughput of aes128-ctr in paramiko.
            options.ciphers = [c for c in _FAST_CIPHERS if c in options.ciphers] + [
                c for c in options.ciphers if c not in _FAST_CIPHERS
            ]
            known = self._known_keys(target, warn)
            if known:
                preferred = [t for t in options.key_types if t in known]
                options.key_types = preferred + [t for t in options.key_types if t not in known]
            try:
                transport.start_client(timeout=self.timeout)
                if not transport.is_active() or transport.host_key is None:  # start_client's timeout is silent
                    raise paramiko.SSHException(f"no answer within {self.timeout:.0f} s")
                server_key = transport.get_remote_server_key()
            except (paramiko.SSHException, EOFError, OSError) as exc:
                raise HostError(f"{target.alias}: SSH handshake with {target.hostname}:{target.port} failed "
                                f"({exc or type(exc).__name__}); is it an SSH server?") from None
            self._check_host_key(target, server_key, known)
            self._authenticate(target, transport)
            transport.set_keepalive(KEEPALIVE)
            return transport
        except BaseException:
            transport.close()
            raise

    def _known_keys(self, target: Target, warn: WarnCallback | None) -> dict[str, paramiko.PKey]:
        keys: dict[str, paramiko.PKey] = {}
        for path in (SYSTEM_KNOWN_HOSTS, self.user_known_hosts):
            if not path.is_file():
                continue
            host_keys = load_known_hosts(path, warn)
            entry = host_keys.lookup(target.known_hosts_name)
            if entry:
                for key_type in entry:
                    keys.setdefault(key_type, entry[key_type])
        return keys

    def _check_host_key(self, target: Target, key: paramiko.PKey, known: dict[str, paramiko.PKey]) -> None:
        name = target.known_hosts_name
        recorded = known.get(key.get_name())
        if recorded is not None and recorded == key:
            return
        if known:
            raise ChangedHostKeyError(name, key.get_name(), fingerprint(key), str(self.user_known_hosts))
        accept = self.accept_new_host_key
        if not accept and self.auth.confirm_host_key is not None:
            accept = bool(self.auth.confirm_host_key(name, key.get_name(), fingerprint(key)))
        if not accept:
            raise UnknownHostKeyError(name, key.get_name(), fingerprint(key))
        self._record_host_key(name, key)

    def _record_host_key(self, name: str, key: paramiko.PKey) -> None:
        path = self.user_known_hosts
        try:
            if not path.parent.exists():
                path.parent.mkdir(mode=0o700, parents=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="ascii") as handle:
                handle.write(f"{name} {key.get_name()} {key.get_base64()}\n")
        except OSError as exc:
            raise HostError(f"{name}: cannot record the accepted host key in {path}: {exc.strerror}") from None

    def _authenticate(self, target: Target, transport: paramiko.Transport) -> None:
        tried: list[str] = []
        allowed: list[str] | None = None

        def attempt(method: str, call: object) -> bool:
            nonlocal allowed
            if allowed is not None and method not in allowed and not (
                method == "password" and "keyboard-interactive" in allowed
            ):
                return False
            try:
                call()  # type: ignore[operator]
            except paramiko.BadAuthenticationType as exc:
                allowed = list(exc.allowed_types)
                return False
            except paramiko.AuthenticationException:
                return False
            except (paramiko.SSHException, OSError, EOFError) as exc:
                if tried and not transport.is_active():
                    raise HostError(f"{target.label}: the server closed the connection after {len(tried)} "
                                    "authentication attempts (MaxAuthTries?); name the right key with "
                                    "IdentityFile in ~/.ssh/config") from None
                raise HostError(f"{target.alias}: connection lost during authentication ({exc})") from None
            return transport.is_authenticated()

        agent = paramiko.Agent()
        try:
            for key in agent.get_keys():
                tried.append("agent")
                if attempt("publickey", lambda key=key: transport.auth_publickey(target.user, key)):
                    return
        finally:
            agent.close()
        skipped: list[str] = []
        named = [Path(p).expanduser() for p in self.identity_files]
        for path in named:
            key = self._load_key(path, named=True)
            if key is None:
                skipped.append(f"{path} is encrypted and no passphrase was given")
                continue
            tried.append(str(path))
            if attempt("publickey", lambda key=key: transport.auth_publickey(target.user, key)):
                return
        for path in self._key_files(target, exclude=named):
            try:
                key = self._load_key(path)
            except KeyFileError as error:  # e.g. the Password field held the account's password
                skipped.append(str(error))
                continue
            if key is None:
                continue
            tried.append(str(path))
            if attempt("publickey", lambda key=key: transport.auth_publickey(target.user, key)):
                return
        if self.auth.password is not None:
            password = self.auth.password(f"{target.user}@{target.alias}'s password: ")
            if password is not None:
                tried.append("password")

                def with_password() -> None:
                    try:
                        transport.auth_password(target.user, password)
                    except paramiko.BadAuthenticationType as exc:
                        if "keyboard-interactive" not in exc.allowed_types:
                            raise
                        transport.auth_interactive(target.user, lambda _t, _i, prompts: [password] * len(prompts))

                if attempt("password", with_password):
                    return
        what = ", ".join(dict.fromkeys(tried)) or "nothing (no agent, no key files, no password prompt)"
        also = "".join(f"; {note}" for note in skipped)
        raise HostError(f"{target.label}: authentication failed (tried {what}{also}); check the user name, "
                        "load your key into ssh-agent, or add your public key to the host's authorized_keys")

    def _key_files(self, target: Target, *, exclude: list[Path]) -> list[Path]:
        """``IdentityFile`` of ``~/.ssh/config``, then the default keys: those that exist and were not tried."""
        home_ssh = Path.home() / ".ssh"
        candidates = [Path(p).expanduser() for p in target.identity_files]
        candidates += [home_ssh / name for name in DEFAULT_KEYS]
        return [p for p in dict.fromkeys(candidates) if p.is_file() and p not in exclude]

    def _load_key(self, path: Path, *, named: bool = False) -> paramiko.PKey | None:
        """The private key in ``path``, asking its passphrase if encrypted; ``None`` skips the file.

        A key file the caller ``named`` is never skipped silently when it is missing or
        not a key: :class:`KeyFileError` says what is wrong with it.
        """
        if named:
            if not path.exists():
                raise KeyFileError(str(path), "no such file; check the path")
            if not path.is_file():
                raise KeyFileError(str(path), "not a file; name the private key file, e.g. ~/.ssh/id_ed25519")
            if not os.access(path, os.R_OK):
                raise KeyFileError(str(path), "permission denied; it must be readable by you")
        try:
            return paramiko.PKey.from_path(path)
        except TypeError:
            pass  # encrypted: ask below
        except (OSError, ValueError, paramiko.SSHException):
            if not named:
                return None  # unreadable or not a key we understand: skip it like ssh does
            hint = "; that is the public key, name the file without .pub" if path.suffix == ".pub" else ""
            raise KeyFileError(str(path), f"not a private key tracktui can read{hint}") from None
        if self.auth.passphrase is None:
            return None
        passphrase = self.auth.passphrase(str(path))
        if passphrase is None:
            return None
        try:
            return paramiko.PKey.from_path(path, passphrase.encode())
        except (TypeError, ValueError, paramiko.SSHException):
            raise KeyFileError(str(path), "wrong passphrase") from None
