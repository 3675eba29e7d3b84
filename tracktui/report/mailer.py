"""Mail a report PDF with the standard library (smtplib + EmailMessage), as the config's ``[report]`` says.

The password comes from the environment variable or the file the config
names, never from the command line or the config file itself. Every
failure becomes one :class:`MailError` line; it exits with code 3 (the
code docs/architecture.md gives "cannot reach or authenticate to a host": the mail
server is one), while a mail setup that cannot work (no password where a
login is configured, unknown security mode) is a usage error, code 2.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from tracktui.errors import EXIT_UNREACHABLE, TracktuiError, UsageError, os_reason

if TYPE_CHECKING:
    from tracktui.config import ReportSettings

SECURITY_MODES = ("starttls", "ssl", "none")


class MailError(TracktuiError):
    """The report could not be mailed: server unreachable, TLS or login refused, recipient refused."""

    exit_code = EXIT_UNREACHABLE


def smtp_password(settings: ReportSettings) -> str | None:
    """The SMTP password from the named environment variable or file; ``None`` when neither is configured."""
    if settings.smtp_password_env:
        value = os.environ.get(settings.smtp_password_env)
        if value is None:
            raise UsageError(f"environment variable {settings.smtp_password_env} (smtp_password_env) is not set")
        return value
    if settings.smtp_password_file:
        path = Path(settings.smtp_password_file).expanduser()
        try:
            return path.read_text(encoding="utf-8").splitlines()[0] if path.stat().st_size else ""
        except (OSError, UnicodeDecodeError, IndexError) as error:
            raise UsageError(f"cannot read smtp_password_file {path}: {error}") from error
    return None


def build_message(pdf: Path, *, to: str, sender: str, subject: str, body: str) -> EmailMessage:
    """A text mail with ``pdf`` attached."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body)
    message.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename=pdf.name)
    return message


def default_sender() -> str:
    """``tracktui@<this host's name>``, when the config names no ``mail_from``."""
    return f"tracktui@{socket.getfqdn() or 'localhost'}"


def send_report(
    pdf: Path, *, to: str, settings: ReportSettings, subject: str, body: str, timeout: float = 60.0
) -> None:
    """Mail ``pdf`` to ``to`` through the SMTP server in ``settings``; raises :class:`MailError` on failure."""
    security = (settings.smtp_security or "starttls").lower()
    if security not in SECURITY_MODES:
        raise UsageError(f"smtp_security must be one of {', '.join(SECURITY_MODES)}, not {security!r}")
    password = smtp_password(settings)
    if settings.smtp_user and password is None:
        raise UsageError("smtp_user is set but neither smtp_password_env nor smtp_password_file is")
    message = build_message(pdf, to=to, sender=settings.mail_from or default_sender(), subject=subject, body=body)
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    context = ssl.create_default_context()
    try:
        if security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout,
                                                    context=context)
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with client:
            client.ehlo()
            if security == "starttls":
                if not client.has_extn("starttls"):
                    raise MailError(f"mail server {where} does not offer STARTTLS; set smtp_security = \"ssl\" "
                                    "or \"none\" in the config if that is intended")
                client.starttls(context=context)
                client.ehlo()
            if settings.smtp_user:
                if not client.has_extn("auth"):
                    raise MailError(f"mail server {where} offers no login (AUTH) for smtp_user {settings.smtp_user}")
                client.login(settings.smtp_user, password or "")
            client.send_message(message)
    except smtplib.SMTPAuthenticationError as error:
        raise MailError(f"mail server {where} refused the login for {settings.smtp_user}: {_words(error)}") from error
    except smtplib.SMTPRecipientsRefused as error:
        raise MailError(f"mail server {where} refused the recipient {to}: {_words(error)}") from error
    except smtplib.SMTPResponseException as error:
        raise MailError(f"mail server {where} said {error.smtp_code} {_words(error)}") from error
    except (smtplib.SMTPException, ssl.SSLError, OSError) as error:
        raise MailError(f"cannot send the report through {where}: {_words(error)}") from error


def _words(error: BaseException) -> str:
    """An exception as one short line."""
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else str(
            error.smtp_error)
    elif isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "; ".join(f"{code} {msg.decode('utf-8', 'replace') if isinstance(msg, bytes) else msg}"
                         for code, msg in error.recipients.values())
    else:
        text = os_reason(error)
    return " ".join(str(text).split())[:300]
