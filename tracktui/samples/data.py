"""What the simulated mail server talks about: subjects, people, recipient providers and attempt outcomes.

Addresses use the documentation ranges (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24) and reserved example domains only.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY = 86400.0
POSTFIX_BACKOFF = (300.0, 600.0, 1200.0, 2400.0, 4000.0)
EXIM_BACKOFF = (900.0,) * 8 + (3600.0, 5400.0, 8100.0, 12150.0, 18225.0, 21600.0)
"""Exim's default retry rule: F,2h,15m; G,16h,1h,1.5; F,4d,6h."""
OUR_DOMAIN = "example.com"
OUR_IP = "192.0.2.1"

HOSTILE_SUBJECTS: tuple[str, ...] = (
    "[SPAM] Cheap watches, 90% off",
    "[/deferred]",
    "[@click=app.quit]",
    "[bold red]x",
    "\x1b[31mred alert\x1b[0m \x1b]0;pwned\x07",
    "#033[31mescaped by rsyslog#033[0m",
    "status=bounced dsn=5.1.1",
    "to=<evil@example.net>, relay=none, delay=0, dsn=2.0.0, status=sent (250 ok)",
    "\u202egnp.exe invoice",
    'quotes " and \\ backslash T="x"',
    "Long subject " + "ABCDEFGHIJ" * 1024,
)
"""Subjects that try to break parsers and views: markup, escapes, fake fields, bidi, 10 kB."""

UNICODE_SUBJECTS: tuple[str, ...] = (
    "Réunion de l'équipe — ordre du jour",
    "Grüße aus München",
    "Año nuevo, señales y café",
    "会議の議事録（11月）",
    "季度报告 Q4",
    "회의 일정 안내",
    "اجتماع الفريق غدا",
    "שלום, מה שלומך?",
    "🎉 Party on Friday 🍕",
    "Привет из Москвы",
    "Ελληνικά: καλημέρα",
)
"""Subjects in many scripts, including right-to-left ones and emoji."""

PLAIN_SUBJECTS = (
    "Invoice {n}", "Re: Meeting on Thursday", "Your order #{n} has shipped", "Weekly report",
    "Fwd: Photos from the trip", "Password reset request", "Newsletter: what's new in November",
    "Lunch?", "Re: Re: budget {n}", "Minutes of the board meeting", "Ticket #{n} updated",
    "Your receipt from Example Shop", "Reminder: dentist appointment", "Contract draft v{n}",
)
USERS = ("alice", "bob.smith", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
          "billing", "support", "newsletter", "noreply", "sales")
NAMES = ("anna", "ben", "chen", "dmitri", "elena", "fatima", "george", "hana", "igor", "jules", "kenji",
          "laura", "mehmet", "nina", "oscar", "priya", "quentin", "rosa", "sven", "tomas", "ursula", "yuki",
          "info", "office", "contact", "admin", "hr", "j.doe", "m.muller")


@dataclass(frozen=True, slots=True)
class Provider:
    """A recipient domain's mail service: MX host, address and how it says yes."""

    domains: tuple[str, ...]
    mx: str
    ip: str
    ok: str
    weight: float
    style: str


PROVIDERS = (
    Provider(("example.net", "mail.example.net"), "mx.example.net", "198.51.100.26",
              "250 2.0.0 OK  {epoch} {r}si{n}.{m} - gsmtp", 40, "big"),
    Provider(("example.org", "corp.example.org"), "example-org.mail.protection.example.org", "198.51.100.40",
              "250 2.6.0 <{msgid}> [InternalId={n}{m}, Hostname=DB8PR01MB{m}.eurprd01.prod.example.org] "
              "{size} bytes in 0.{m}, 42.{m} KB/sec Queued mail for delivery", 25, "ms"),
    Provider(("webmail.example",), "mta5.am0.webmail.example", "198.51.100.77", "250 ok dirdel", 12, "yahoo"),
    Provider(("isp.example", "shop.example"), "mail.isp.example", "203.0.113.25",
              "250 2.0.0 Ok: queued as {pqid}", 15, "postfix"),
    Provider(("uni.example", "club.example"), "smtp.uni.example", "203.0.113.80", "250 OK id={eid}", 8, "exim"),
)
DEAD = Provider(("nonexistent.example",), "nonexistent.example", "", "", 0, "dead")


@dataclass(frozen=True, slots=True)
class Outcome:
    """One attempt's result. ``kind``: ``sent``, ``reply`` (host said), ``connect``, ``dns``, ``expire``."""

    result: str
    dsn: str
    kind: str
    text: str = ""
    stage: str = "RCPT TO"


GREYLIST = (
    Outcome("deferred", "4.2.0", "reply", "450 4.2.0 <{rcpt}>: Recipient address rejected: Greylisted, see "
             "http://postgrey.schweikert.ch/help/{domain}.html"),
    Outcome("deferred", "4.7.1", "reply", "450 4.7.1 <{rcpt}>: Recipient address rejected: Greylisted, see "
             "http://postgrey.schweikert.ch/help/{domain}.html"),
)
QUOTA = (
    Outcome("deferred", "4.2.2", "reply", "452 4.2.2 The email account that you tried to reach is over quota. "
             "Please direct the recipient to https://support.example.net/mail/?p=OverQuotaTemp {r} - gsmtp"),
    Outcome("deferred", "4.2.2", "reply", "452 4.2.2 <{rcpt}>: Mailbox is full: quota exceeded (mailbox for "
             "user is full)"),
)
TRANSIENT = (
    Outcome("deferred", "4.4.1", "connect", "connect to {mx}[{ip}]:25: Connection refused"),
    Outcome("deferred", "4.4.1", "connect", "connect to {mx}[{ip}]:25: Connection timed out"),
    Outcome("deferred", "4.4.2", "connect", "lost connection with {mx}[{ip}] while receiving the initial server "
             "greeting"),
    Outcome("deferred", "4.7.0", "reply", "421 4.7.0 [TSS04] Messages from {our_ip} temporarily deferred due to "
             "unexpected volume or user complaints - 4.16.55.1; see https://postmaster.webmail.example/error-codes",
             "MAIL FROM"),
    Outcome("deferred", "4.7.650", "reply", "451 4.7.650 The mail server [{our_ip}] has been temporarily rate "
             "limited due to IP reputation. (S775) [Name=Protocol Filter Agent][AGT=PFA]", "MAIL FROM"),
    Outcome("deferred", "4.3.0", "reply", "451 4.3.0 <{rcpt}>: Temporary lookup failure"),
)
DNS_TEMP = Outcome("deferred", "4.4.3", "dns", "Host or domain name not found. Name service error for "
                     "name={domain} type=MX: Host not found, try again")
BOUNCES = (
    Outcome("bounced", "5.1.1", "reply", "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual "
             "mailbox table"),
    Outcome("bounced", "5.1.1", "reply", "550-5.1.1 The email account that you tried to reach does not exist. "
             "Please try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 "
             "unnecessary spaces. https://support.example.net/mail/?p=NoSuchUser {r} - gsmtp"),
    Outcome("bounced", "5.5.0", "reply", "550 5.5.0 Requested action not taken: mailbox unavailable "
             "(S2017062302). [DB5PEPF00014B89.eurprd02.prod.example.org]"),
    Outcome("bounced", "5.2.2", "reply", "552 5.2.2 <{rcpt}>: Recipient address rejected: Mailbox full"),
    Outcome("bounced", "5.7.1", "reply", "554 5.7.1 Service unavailable; Client host [{our_ip}] blocked using "
             "zen.spamhaus.org; https://www.spamhaus.org/query/ip/{our_ip}"),
    Outcome("bounced", "5.7.1", "reply", "550 5.7.1 Unfortunately, messages from [{our_ip}] weren't sent. Please "
             "contact your Internet service provider since part of their network is on our block list (S3150)."),
    Outcome("bounced", "5.7.1", "reply", "554 5.7.1 Service unavailable; Client host [{our_ip}] blocked using "
             "b.barracudacentral.org"),
    Outcome("bounced", "5.7.26", "reply", "550-5.7.26 This mail has been blocked because the sender is "
             "unauthenticated. 550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM. "
             "{r} - gsmtp", "end of DATA"),
    Outcome("bounced", "5.7.1", "reply", "550 5.7.1 Email rejected per DMARC policy for example.com",
             "end of DATA"),
    Outcome("bounced", "5.3.4", "reply", "552 5.3.4 Message size exceeds fixed limit", "end of DATA"),
    Outcome("bounced", "5.2.1", "reply", "550 5.2.1 The email account that you tried to reach is disabled. "
             "{r} - gsmtp"),
    Outcome("bounced", "5.4.4", "dns", "Host or domain name not found. Name service error for name={domain} "
             "type=AAAA: Host not found"),
)
BOUNCE_WEIGHTS = (20, 12, 10, 6, 8, 4, 3, 6, 3, 4, 3, 5)
EXPIRE = Outcome("expired", "4.4.7", "expire")
SENT = Outcome("sent", "2.0.0", "sent")
