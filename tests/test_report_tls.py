"""The monthly report goes out over STARTTLS and SMTPS, with the server's certificate verified."""

from __future__ import annotations

import email
import email.policy
import ssl
import subprocess
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.test_report_cli import Sink, _free_port
from tracktui.config import ReportSettings
from tracktui.report.mailer import MailError, send_report


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1, made with openssl."""
    d = tmp_path_factory.mktemp("pki")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=tracktui test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1")
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "san.ext")
    return {"ca": d / "ca.pem", "cert": d / "server.pem", "key": d / "server.key"}


def server_context(pki: dict[str, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki["cert"], pki["key"])
    return context


def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4\n% test\n")
    return path


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_report_is_sent_over_tls_to_a_verified_server(tmp_path: Path, pki: dict[str, Path], mode: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(pki["ca"]))  # trust the test CA like a system CA
    sink = Sink(_free_port())
    if mode == "starttls":
        controller = Controller(sink, hostname="127.0.0.1", port=sink.port, tls_context=server_context(pki),
                                require_starttls=True)
    else:
        controller = Controller(sink, hostname="127.0.0.1", port=sink.port, ssl_context=server_context(pki))
    controller.start()
    try:
        settings = ReportSettings(smtp_host="127.0.0.1", smtp_port=sink.port, smtp_security=mode)
        send_report(pdf(tmp_path), to="boss@example.com", settings=settings, subject="Mail report",
                    body="attached", timeout=10)
    finally:
        controller.stop()
    (received,) = sink.messages
    assert sink.recipients == [["boss@example.com"]]
    attachments = [part.get_filename() for part in received.iter_attachments()]
    assert attachments == ["report.pdf"]


def test_an_untrusted_certificate_is_refused_in_one_line(tmp_path: Path, pki: dict[str, Path]) -> None:
    sink = Sink(_free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port, tls_context=server_context(pki),
                            require_starttls=True)
    controller.start()
    try:
        settings = ReportSettings(smtp_host="127.0.0.1", smtp_port=sink.port, smtp_security="starttls")
        with pytest.raises(MailError) as caught:
            send_report(pdf(tmp_path), to="boss@example.com", settings=settings, subject="s", body="b", timeout=10)
    finally:
        controller.stop()
    assert "certificate" in str(caught.value).lower() and "\n" not in str(caught.value)
    assert sink.messages == []


def test_parsed_message_is_a_real_mime_mail(tmp_path: Path) -> None:
    from tracktui.report.mailer import build_message

    message = build_message(pdf(tmp_path), to="a@example.com", sender="t@example.com", subject="S", body="B")
    reparsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert reparsed["To"] == "a@example.com" and reparsed.get_content_type() == "multipart/mixed"
