"""RFC 2047 subjects: decoded the way the standard library decodes well-formed ones, and never worse on the rest."""

from __future__ import annotations

from email.charset import BASE64, QP, Charset
from email.header import Header, decode_header, make_header

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tracktui.model import EventKind
from tracktui.parsers.exim import EximParser
from tracktui.parsers.headers import decode_subject
from tracktui.parsers.postfix import PostfixParser

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def stdlib(text: str) -> str:
    return str(make_header(decode_header(text)))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?UTF-8?B?R3LDvMOfZQ==?=", "Grüße"),
        ("=?utf-8?b?R3LDvMOfZQ?=", "Grüße"),  # padding left out
        ("Re: =?utf-8?q?Caf=C3=A9?= ist offen", "Re: Café ist offen"),
        ("=?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=", "Grüße aus Köln"),
        ("=?utf-8?q?a?= =?utf-8?q?b?=", "ab"),  # white space between encoded words is dropped
        ("=?utf-8?q?a?=\r\n\t=?utf-8?q?b?=", "ab"),
        ("=?utf-8?q?a?= x =?utf-8?q?b?=", "a x b"),
        ("=?iso-8859-1?q?Gr=FC=DFe?= =?utf-8?q?=C3=A9?=", "Grüßeé"),
        ("=?utf-8*de?q?Hallo?=", "Hallo"),  # RFC 2231 language
        ("=?koi8-r?b?8NLJ18XU?=", "Привет"),
    ],
)
def test_well_formed_words_decode_like_the_standard_library(raw: str, expected: str) -> None:
    assert decode_subject(raw) == expected
    if "*" not in raw:
        assert stdlib(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?utf-8?b?SGVsbG8g?=? =?utf-8?b?V29ybGQ=?=", "Hello World"),  # Postfix: the fold's \n as ?
        ("=?utf-8?b?SGVsbG8g?=?? =?utf-8?b?V29ybGQ=?=", "Hello World"),  # \r\n
        ("=?utf-8?b?SGVsbG8g?=??\t=?utf-8?b?V29ybGQ=?=", "Hello World"),  # \n\t, tab shown as ?
        ("=?utf-8?q?Hello?=? plain", "Hello plain"),
    ],
)
def test_postfix_folds(raw: str, expected: str) -> None:
    assert decode_subject(raw) == expected


def test_a_character_split_between_two_words_comes_out_whole() -> None:
    # "€" is E2 82 AC; an encoder cut after two bytes
    assert decode_subject("=?utf-8?b?4oI=?= =?utf-8?b?rA==?=") == "€"
    assert decode_subject("=?utf-8?q?=E2=82?= =?UTF-8?Q?=AC?=") == "€"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?utf-8?b?SGVsbG8gV29y", "Hello Wor"),
        ("=?utf-8?b?SGVsbG8gV29yb", "Hello Wor"),
        ("Re: =?utf-8?q?Caf=C3=A", "Re: Caf"),
        ("Re: =?utf-8?q?Caf=C3=", "Re: Caf"),
        ("=?utf-8?q?Caf=C3=A9_ok?", "Café ok"),
        ("=?utf-8?b?w6k=?= =?utf-8?b?w6nD", "éé"),  # cut inside a character: the half is dropped
        ("=?utf-8?b?SG", "=?utf-8?b?SG"),  # nothing decodable: raw
        ("=?utf-8?b", "=?utf-8?b"),
        ("Subject ends =?", "Subject ends =?"),
    ],
)
def test_truncated_words_keep_what_decodes(raw: str, expected: str) -> None:
    assert decode_subject(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?x-unknown?q?a?= =?utf-8?q?b?=", "=?x-unknown?q?a?= b"),
        ("=?utf-8?q?a?= =?unknown-8bit?q?b?= =?utf-8?q?c?=", "a =?unknown-8bit?q?b?= c"),
        ("=?zlib?b?eJwLSS0uAQAD8gFC?=", "=?zlib?b?eJwLSS0uAQAD8gFC?="),  # a codec, but no text charset
        ("=?unicode_escape?q?=5Cx00?=", "=?unicode_escape?q?=5Cx00?="),
        ("=?utf-8?b?!!!?=", "=?utf-8?b?!!!?="),  # no base64 at all
        ("=?utf-8?b?SGVsbG8?x?=", "=?utf-8?b?SGVsbG8?x?="),
    ],
)
def test_unknown_charsets_and_broken_words_stay_raw(raw: str, expected: str) -> None:
    assert decode_subject(raw) == expected


def test_invalid_bytes_in_a_known_charset_are_replaced() -> None:
    assert decode_subject("=?utf-8?q?ok=FF?=") == "ok\ufffd"


@pytest.mark.parametrize("text", ["", "plain", "a =? b", "?= =?", "50% =?off", "\ud800", "=?\x00?q?x?="])
def test_text_without_words_is_kept(text: str) -> None:
    assert decode_subject(text) == text


encodable = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60)


@PROPERTY
@given(encodable, st.sampled_from(["utf-8", "iso-8859-1", "koi8-r", "utf-16"]), st.sampled_from([BASE64, QP]))
def test_what_the_standard_library_encodes_comes_back(text: str, charset: str, encoding: int) -> None:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return
    codec = Charset(charset)
    codec.header_encoding = encoding
    encoded = Header(text, codec, maxlinelen=76).encode()
    assert decode_subject(encoded) == stdlib(encoded)
    # Postfix writes the fold's line break as "?"
    assert decode_subject(encoded.replace("\n", "?")) == stdlib(encoded)


@PROPERTY
@given(st.text(max_size=200))
@example("=?utf-8?b?" + "A" * 5000)
@example("=?utf-8?q?" + "=" * 300)
@example("=?" * 200)
@example("=?utf-8?b?\udcff?=")
@example("=?utf-16?b?AA?=")
def test_never_raises_and_leaves_text_without_words_alone(text: str) -> None:
    decoded = decode_subject(text)
    assert isinstance(decoded, str)
    if "=?" not in text:
        assert decoded is text


pieces = st.lists(
    st.one_of(
        st.sampled_from(["=?utf-8?b?", "=?UTF-8?Q?", "?=", "?", " ", "=C3=A9", "w6k=", "=?x?q?", "\x00", "\r"]),
        st.text(max_size=6),
    ),
    max_size=12,
).map("".join)


@PROPERTY
@given(pieces)
def test_word_soup_never_raises(text: str) -> None:
    assert isinstance(decode_subject(text), str)


# -- where the parsers set the subject ---------------------------------------------------


def test_postfix_header_checks_subject_is_decoded() -> None:
    line = (
        "Nov 27 09:00:01 mx postfix/cleanup[7]: 4F2A1B3C4D: info: header Subject: "
        "=?utf-8?b?R3LDvMOfZSBhdXMg?=? =?utf-8?b?S8O2bG4=?= from x[192.0.2.1]; "
        "from=<a@example.org> to=<b@example.net> proto=ESMTP helo=<x>"
    )
    event = PostfixParser(reference_time=1.8e9).parse(line)
    assert event is not None and event.kind is EventKind.SUBJECT
    assert (event.subject, event.sender, event.client) == ("Grüße aus Köln", "a@example.org", "x[192.0.2.1]")


def test_postfix_header_reject_subject_is_decoded() -> None:
    line = (
        "Nov 27 09:00:01 mx postfix/cleanup[7]: 4F2A1B3C4D: reject: header Subject: =?utf-8?q?Gewinn_=E2=82=AC?= "
        "from x[192.0.2.1]; from=<a@example.org> to=<b@example.net> proto=ESMTP helo=<x>: 5.7.1 spam"
    )
    event = PostfixParser(reference_time=1.8e9).parse(line)
    assert event is not None and event.kind is EventKind.REJECTED
    assert (event.subject, event.recipient, event.dsn) == ("Gewinn €", "b@example.net", "5.7.1")


@pytest.mark.parametrize(
    ("t_field", "expected"),
    [
        ('T="=?x-mac-unknown?q?a?= =?utf-8?q?Caf=C3=A9?="', "=?x-mac-unknown?q?a?= Café"),
        ('T="=?utf-8?b?R3LDvMOfZSBhdXMgS8O2bG4=?="', "Grüße aus Köln"),
        ('T="Gr\\303\\274\\303\\237e =?utf-8?q?x?="', "Grüße x"),
        ('T="=?utf-8?b?SGVsbG8gV29y"', "Hello Wor"),  # cut at Exim's 100 bytes
    ],
)
def test_exim_subject_words_left_encoded_are_decoded(t_field: str, expected: str) -> None:
    line = f"2026-11-27 09:00:01 1xWsoX-0000hv-2p <= a@example.org H=x [192.0.2.1] P=esmtp S=1 id=m@x {t_field}"
    event = EximParser().parse(line)
    assert event is not None and event.kind is EventKind.ENVELOPE
    assert event.subject == expected
