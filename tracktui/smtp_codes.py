"""The tables behind :mod:`tracktui.smtp`: reply and enhanced status codes, blocklists, remote texts.

Pure data (and the regexes built from it): basic reply codes of RFC 5321,
enhanced status codes of RFC 3463 and the IANA registry, well-known
blocklists and where to ask for delisting, the plain words of each
category, and the remote texts recognised on top of the codes.
"""

from __future__ import annotations

import re

BASIC_CODES: dict[int, tuple[str | None, str]] = {
    211: (None, "system status"),
    214: (None, "help message"),
    220: (None, "service ready"),
    221: (None, "closing the connection"),
    250: (None, "requested action completed"),
    251: (None, "user not local; will forward"),
    252: (None, "cannot verify the user, but will accept and try delivery"),
    421: ("remote_busy", "service not available, closing the connection"),
    450: ("temporary_other", "mailbox unavailable for now (busy or temporarily blocked)"),
    451: ("temporary_other", "local error in processing; try again"),
    452: ("temporary_other", "insufficient storage, or too many recipients for now"),
    454: ("temporary_other", "TLS or authentication temporarily unavailable (RFC 3207, RFC 4954)"),
    455: ("protocol_error", "server unable to accommodate the parameters"),
    500: ("protocol_error", "syntax error, command unrecognised"),
    501: ("protocol_error", "syntax error in parameters or arguments"),
    502: ("protocol_error", "command not implemented"),
    503: ("protocol_error", "bad sequence of commands"),
    504: ("protocol_error", "command parameter not implemented"),
    521: ("no_mail_service", "this host does not accept mail (RFC 7504)"),
    530: ("auth_failed", "authentication required (RFC 4954)"),
    534: ("auth_failed", "authentication mechanism is too weak (RFC 4954)"),
    535: ("auth_failed", "authentication credentials invalid (RFC 4954)"),
    538: ("auth_failed", "encryption required for the authentication mechanism (RFC 4954)"),
    550: ("permanent_other", "mailbox unavailable (not found, no access, or refused by policy)"),
    551: ("mailbox_moved", "user not local; try another address"),
    552: ("permanent_other", "exceeded storage allocation (mailbox full or message too big)"),
    553: ("bad_address", "mailbox name not allowed"),
    554: ("permanent_other", "transaction failed"),
    555: ("protocol_error", "MAIL FROM/RCPT TO parameters not recognised or not implemented"),
    556: ("no_mail_service", "the domain does not accept mail (RFC 7504)"),
}
"""RFC 5321 reply codes: category when the code alone says something, and its meaning."""

ENHANCED_CODES: dict[str, tuple[str | None, str]] = {
    "0.0": (None, "other or undefined status"),
    "1.0": (None, "other address status"),
    "1.1": ("no_such_user", "bad destination mailbox address"),
    "1.2": ("no_such_domain", "bad destination system address"),
    "1.3": ("bad_address", "bad destination mailbox address syntax"),
    "1.4": ("no_such_user", "destination mailbox address ambiguous"),
    "1.5": (None, "destination address valid"),
    "1.6": ("mailbox_moved", "destination mailbox has moved, no forwarding address"),
    "1.7": ("sender_rejected", "bad sender's mailbox address syntax"),
    "1.8": ("sender_rejected", "bad sender's system address"),
    "1.9": (None, "message relayed to non-compliant mailer"),
    "1.10": ("no_mail_service", "recipient address has null MX (RFC 7505)"),
    "2.0": (None, "other or undefined mailbox status"),
    "2.1": ("mailbox_disabled", "mailbox disabled, not accepting messages"),
    "2.2": ("mailbox_full", "mailbox full"),
    "2.3": ("message_too_large", "message length exceeds administrative limit"),
    "2.4": (None, "mailing list expansion problem"),
    "3.0": (None, "other or undefined mail system status"),
    "3.1": ("remote_problem", "mail system full"),
    "3.2": ("remote_busy", "system not accepting network messages"),
    "3.3": ("protocol_error", "system not capable of selected features"),
    "3.4": ("message_too_large", "message too big for system"),
    "3.5": ("remote_problem", "system incorrectly configured"),
    "3.6": (None, "requested priority was changed"),
    "4.0": (None, "other or undefined network or routing status"),
    "4.1": ("connection_failed", "no answer from host"),
    "4.2": ("connection_lost", "bad connection"),
    "4.3": ("no_mx_host_not_found", "directory server (DNS) failure"),
    "4.4": ("no_mx_host_not_found", "unable to route"),
    "4.5": ("remote_busy", "mail system congestion"),
    "4.6": ("mail_loop", "routing loop detected"),
    "4.7": ("expired", "delivery time expired"),
    "5.0": (None, "other or undefined protocol status"),
    "5.1": ("protocol_error", "invalid command"),
    "5.2": ("protocol_error", "syntax error"),
    "5.3": ("too_many_recipients", "too many recipients"),
    "5.4": ("protocol_error", "invalid command arguments"),
    "5.5": ("protocol_error", "wrong protocol version"),
    "5.6": ("auth_failed", "authentication exchange line is too long"),
    "6.0": ("content_rejected", "other or undefined media error"),
    "6.1": ("content_rejected", "media not supported"),
    "6.2": ("content_rejected", "conversion required and prohibited"),
    "6.3": ("content_rejected", "conversion required but not supported"),
    "6.4": (None, "conversion with loss performed"),
    "6.5": ("content_rejected", "conversion failed"),
    "6.6": ("content_rejected", "message content not available"),
    "6.7": ("bad_address", "non-ASCII addresses not permitted (RFC 6531)"),
    "6.8": ("content_rejected", "UTF-8 string reply required but not permitted (RFC 6531)"),
    "6.9": ("content_rejected", "UTF-8 header message cannot be transferred (RFC 6531)"),
    "6.10": ("content_rejected", "UTF-8 string reply required but not permitted (RFC 6531)"),
    "7.0": ("policy", "other or undefined security status"),
    "7.1": ("policy", "delivery not authorised, message refused"),
    "7.2": ("policy", "mailing list expansion prohibited"),
    "7.3": ("policy", "security conversion required but not possible"),
    "7.4": ("policy", "security features not supported"),
    "7.5": ("tls_failed", "cryptographic failure"),
    "7.6": ("tls_failed", "cryptographic algorithm not supported"),
    "7.7": ("policy", "message integrity failure"),
    "7.8": ("auth_failed", "authentication credentials invalid"),
    "7.9": ("auth_failed", "authentication mechanism is too weak"),
    "7.10": ("tls_failed", "encryption needed"),
    "7.11": ("auth_failed", "encryption required for requested authentication mechanism"),
    "7.12": ("auth_failed", "a password transition is needed"),
    "7.13": ("mailbox_disabled", "user account disabled"),
    "7.14": ("policy", "trust relationship required"),
    "7.15": ("policy", "priority level is too low"),
    "7.16": ("message_too_large", "message is too big for the specified priority"),
    "7.17": ("mailbox_disabled", "mailbox owner has changed"),
    "7.18": ("mailbox_disabled", "domain owner has changed"),
    "7.19": ("policy", "RRVS test cannot be completed"),
    "7.20": ("spf_dkim_dmarc", "no passing DKIM signature found"),
    "7.21": ("spf_dkim_dmarc", "no acceptable DKIM signature found"),
    "7.22": ("spf_dkim_dmarc", "no valid author-matched DKIM signature found"),
    "7.23": ("spf_dkim_dmarc", "SPF validation failed"),
    "7.24": ("spf_dkim_dmarc", "SPF validation error"),
    "7.25": ("reverse_dns", "reverse DNS validation failed"),
    "7.26": ("spf_dkim_dmarc", "multiple authentication checks failed (SPF/DKIM/DMARC)"),
    "7.27": ("no_mail_service", "sender address has null MX"),
    "7.28": ("rate_limited", "mail flood detected"),
    "7.29": ("policy", "ARC validation failure"),
    "7.30": ("tls_failed", "REQUIRETLS support required"),
    "7.509": ("spf_dkim_dmarc", "Microsoft: the sender domain's DMARC policy rejected it"),
    "7.511": ("blocklisted", "Microsoft: access denied, banned sender"),
    "7.606": ("blocklisted", "Microsoft: access denied, banned sending IP"),
    "7.650": ("rate_limited", "Microsoft: rate limited because of the sending IP's reputation"),
    "7.708": ("blocklisted", "Microsoft: access denied, traffic not accepted from this IP"),
}
"""RFC 3463 / IANA enhanced status codes by ``subject.detail``: category and meaning."""

CODE_BLOCKLISTS = {"7.511": "microsoft", "7.606": "microsoft", "7.708": "microsoft"}
"""Enhanced codes (``subject.detail``) that name a blocklist by themselves."""

BLOCKLISTS: dict[str, tuple[str, str | None]] = {
    "spamhaus": ("Spamhaus", "https://check.spamhaus.org/"),
    "spamcop": ("SpamCop", "https://www.spamcop.net/bl.shtml"),
    "barracuda": ("Barracuda", "https://www.barracudacentral.org/rbl/removal-request"),
    "sorbs": ("SORBS", None),
    "uceprotect": ("UCEPROTECT", "https://www.uceprotect.net/en/rblcheck.php"),
    "microsoft": ("Microsoft (Outlook.com / Office 365)", "https://sender.office.com/"),
    "proofpoint": ("Proofpoint", "https://ipcheck.proofpoint.com/"),
    "abusix": ("Abusix", "https://lookup.abusix.com/"),
    "mailspike": ("Mailspike", "https://mailspike.io/"),
    "cloudmark": ("Cloudmark", "https://csi.cloudmark.com/en/reset/"),
    "psbl": ("PSBL", "https://psbl.org/"),
    "spamrats": ("SpamRATS", "https://www.spamrats.com/removal.php"),
    "invaluement": ("Invaluement", "https://www.invaluement.com/lookup/"),
    "surbl": ("SURBL", "https://surbl.org/surbl-analysis"),
    "uribl": ("URIBL", "https://admin.uribl.com/"),
    "0spam": ("0spam", "https://0spam.org/"),
    "truncate": ("Truncate (GBUdb)", "https://www.gbudb.com/truncate/"),
}
"""Well-known blocklists: display name and where to ask for delisting."""

DOMAIN_LISTS = frozenset({"surbl", "uribl"})
"""Blocklists of domains and links in messages rather than of sending IPs."""

CATEGORY_TEXT: dict[str, tuple[str, str]] = {
    "mailbox_full": ("The recipient's mailbox is full.",
                     "Tell the recipient another way that their mailbox is full, then resend."),
    "mailbox_disabled": ("The recipient's mailbox exists but is disabled or closed.",
                         "Contact the recipient another way; the address may no longer be in use."),
    "no_such_user": ("The recipient's server says this address does not exist.",
                     "Check the address for typos, or ask the recipient for their current address."),
    "no_such_domain": ("The recipient's domain does not exist or does not take mail.",
                       "Check the part after the @ for typos."),
    "bad_address": ("The recipient address is not a valid e-mail address.",
                    "Check the address for typos and stray characters."),
    "mailbox_moved": ("The recipient has moved; this address is no longer used.",
                      "Ask the recipient for the new address (the reply may name it)."),
    "sender_rejected": ("The recipient's server refused the sender address.",
                        "Check that the sender address and its domain exist and resolve in DNS."),
    "blocklisted": ("Your server's IP is listed on a blocklist, so the recipient's server refused it.",
                    "Check why you are listed and request delisting from the list's operator."),
    "greylisted": ("The recipient's server is greylisting: it turns away the first try from an unknown "
                   "sender and accepts a retry a few minutes later.",
                   "Wait: nothing to fix, the retry normally gets through within an hour."),
    "spf_dkim_dmarc": ("The recipient's server could not verify that your server may send for the sender's "
                       "domain (SPF, DKIM or DMARC).",
                       "Check that the sender domain's SPF record includes this server, that DKIM signing works "
                       "and what the domain's DMARC policy says."),
    "reverse_dns": ("The recipient's server refused because your server's IP has no proper reverse DNS name.",
                    "Give the sending IP a PTR record that matches the server's HELO name."),
    "spam_content": ("The recipient's server thinks the message is spam.",
                     "Check the content and links, your sending reputation, and any link in the reply."),
    "connection_failed": ("Your server could not connect to the recipient's mail server.",
                          "Usually temporary; check that your server can reach port 25 outbound."),
    "connection_refused": ("The recipient's mail server refused the connection (nothing listening, or a firewall).",
                           "Usually temporary on their side; if it lasts, check the recipient domain's MX records."),
    "connection_timeout": ("The recipient's mail server did not answer in time.",
                           "Check that your server can reach port 25 outbound (many providers block it) and that "
                           "the recipient's server is up."),
    "connection_lost": ("The connection to the recipient's server broke off during the conversation.",
                        "Usually temporary; if it repeats, look for TLS or network problems on the path."),
    "no_mx_host_not_found": ("The recipient's domain could not be found in DNS (no MX or address record).",
                             "Check the domain for typos; if it is right, its DNS is broken or it has expired."),
    "no_mail_service": ("The recipient's domain or server does not accept mail at all.",
                        "Check the address; this domain publishes that it receives no mail."),
    "tls_failed": ("The encrypted connection (TLS) with the recipient's server could not be set up.",
                   "Check your server's TLS settings and certificates, and whether the recipient requires TLS."),
    "auth_failed": ("The server wanted your server to log in, or refused its login.",
                    "Check the relay credentials (SASL) configured on your server."),
    "message_too_large": ("The message is larger than the recipient's server accepts.",
                          "Send smaller attachments, or share them through a link."),
    "policy": ("The recipient's server refused the message because of its own rules.",
               "Read the remote host's words: they usually name the rule. Ask the recipient's postmaster if unclear."),
    "rate_limited": ("The recipient's server is limiting how much mail it takes from your server right now.",
                     "Wait; if it persists, send more slowly (fewer connections or messages per minute)."),
    "too_many_recipients": ("The message had more recipients than the recipient's server takes at once.",
                            "Usually nothing: your server sends the rest later; otherwise split the list."),
    "relay_denied": ("The server would not pass the message on: it does not handle mail for this recipient's "
                     "domain.", "Check the recipient domain and your server's relay (smarthost) settings."),
    "mail_loop": ("The message went round in a loop between servers.",
                  "Check forwarding rules and the MX records of the recipient's domain."),
    "remote_busy": ("The recipient's server is busy or shutting down and could not take mail right now.",
                    "Wait."),
    "remote_problem": ("The recipient's server has a problem of its own (full disk, configuration, overload).",
                       "Wait; if it persists, tell the recipient's postmaster."),
    "protocol_error": ("The two servers did not understand each other: an SMTP command or parameter was refused.",
                       "Check your server's configuration against the remote host's words."),
    "content_rejected": ("The recipient's server cannot take the message's format or content.",
                         "Check attachments and encoding; remove often-blocked attachment types."),
    "expired": ("Your server gave up: it kept retrying until its queue lifetime ran out and returned the message "
                "to the sender.", "Find out why the attempts failed, fix it or tell the recipient, then resend."),
    "temporary_other": ("The recipient's server refused the message for now; your server will try again.",
                        "Wait; read the remote host's words if it keeps happening."),
    "permanent_other": ("The recipient's server refused the message for good.",
                        "Read the remote host's words for the reason, fix it and resend."),
    "unknown": ("The log does not say why.", "Look at the raw log lines."),
}
"""Summary and advice for each category (``delivered`` and named blocklists are worded in code)."""


def _rules(*pairs: tuple[str, str, bool]) -> list[tuple[re.Pattern[str], str, bool]]:
    return [(re.compile(pattern, re.IGNORECASE), category, strong) for category, pattern, strong in pairs]


TEXT_RULES: list[tuple[re.Pattern[str], str, bool]] = _rules(
    ("sender_rejected", r"sender address rejected|sender (?:address )?verif\w* failed|invalid sender|"
                        r"sender (?:domain )?(?:must resolve|not found|unknown)", True),
    ("relay_denied", r"relay(?:ing)? (?:access )?(?:denied|not permitted|prohibited)|unable to relay|"
                     r"not (?:permitted|allowed) to relay|we do not relay", True),
    ("mailbox_full", r"over ?quota|quota (?:exceeded|full)|exceeded (?:the |their |his |her )?(?:storage|quota)|"
                     r"mailbox (?:is )?full|full mailbox|mailbox size limit|mail ?folder is full|disk quota|"
                     r"not enough (?:disk )?space|out of storage space|insufficient (?:mailbox )?storage(?! system)",
     True),
    ("mailbox_disabled", r"(?:mailbox|account|user) (?:is |has been )?(?:disabled|inactive|suspended|locked)|"
                         r"no longer active|mailbox (?:is )?not active|inactive (?:user|account|mailbox)", True),
    ("no_mx_host_not_found", r"host or domain name not found|name service error|\bno MX\b|host not found|"
                             r"unrouteable address|host lookup did not complete|nxdomain|"
                             r"MX records point to non-existent hosts|could not resolve|DNS (?:error|failure)", True),
    ("no_such_domain", r"domain (?:\S+ )?(?:does not exist|not found|unknown)|no such domain|unknown domain", True),
    ("no_such_user", r"user unknown|unknown user|no such (?:user|mailbox|recipient|account|person)|does not exist|"
                     r"doesn't exist|unknown (?:recipient|mailbox|local.?part)|recipient (?:address )?(?:unknown|"
                     r"not found|rejected: access denied)|user not found|address not found|invalid (?:recipient|"
                     r"mailbox|address)|no mailbox here|mailbox not found|not a valid (?:recipient|mailbox|user)|"
                     r"undeliverable address|account not found|in virtual (?:mailbox|alias) table|"
                     r"requested action not taken: mailbox unavailable|doesn't have an? \S+ account|"
                     r"not in my validrcptto", True),
    ("spf_dkim_dmarc", r"\bSPF\b|\bDKIM\b|\bDMARC\b|sender policy framework|unauthenticated|"
                       r"not authorized to send|failed authentication checks", True),
    ("reverse_dns", r"reverse (?:DNS|hostname|lookup)|\bPTR\b|cannot find your hostname|\brDNS\b", True),
    ("greylisted", r"gr[ae]y-?list|postgrey", True),
    ("too_many_recipients", r"too many recipients", True),
    ("rate_limited", r"too many (?:connections|messages|concurrent|sessions|mails|emails)|rate.?limit|"
                     r"unexpected volume|\[TSS0[14]\]|unusual rate|throttl|sending rate|receiving mail at a rate|"
                     r"exceeded (?:the )?(?:sending|message) (?:limit|rate)", True),
    ("message_too_large", r"message (?:size|length) exceeds|message (?:is )?too (?:big|large)|"
                          r"exceeds (?:the )?(?:maximum )?(?:allowed )?(?:message )?size|size limit|mail too large|"
                          r"message file too big", True),
    ("connection_refused", r"connection refused", True),
    ("connection_timeout", r"connection timed out|timed out while|operation timed out", True),
    ("connection_failed", r"no route to host|network is unreachable|wasn't able to establish an SMTP connection|"
                          r"unable to connect", True),
    ("connection_lost", r"lost connection|connection reset|broken pipe|unexpected EOF|"
                        r"connection (?:unexpectedly )?closed", True),
    ("tls_failed", r"TLS is required|cannot start TLS|TLS handshake|handshake fail|certificate verif|"
                   r"must issue a STARTTLS|STARTTLS (?:is )?required|encryption required", True),
    ("auth_failed", r"authentication (?:required|failed|credentials invalid)|must authenticate", True),
    ("mail_loop", r"mail (?:forwarding )?loop|too many hops|loops back to myself|hop count exceeded", True),
    ("no_mail_service", r"does not accept mail|null MX", True),
    ("spam_content", r"\bspam\b|unsolicited|junk mail|phish|virus|malware|infected|bulk mail", True),
    ("remote_problem", r"insufficient system storage|local error in processing|internal (?:server )?error|"
                       r"configuration error", True),
    ("greylisted", r"try again later|please try again|retry later|temporarily (?:deferred|rejected)|"
                   r"come back later", False),
    ("remote_busy", r"service (?:not available|unavailable|temporarily unavailable)|too busy|shutting down|"
                    r"closing (?:transmission )?channel", False),
    ("policy", r"policy|not authori[sz]ed|access denied|administrative prohibition|prohibited|refused|blocked",
     False),
)
"""Remote texts recognised on top of the codes, in priority order; weak ones only beat vague codes."""

LIST_NAME_RE = re.compile(r"(?:blocked using|listed (?:at|in|on|by))\s+([A-Za-z0-9][\w.-]*\.[A-Za-z]{2,})",
                           re.IGNORECASE)
"""Where a reply names the list it was checked against (``blocked using zen.spamhaus.org``)."""


CLASS_WORDS = {2: "success", 4: "temporary failure", 5: "permanent failure"}
"""Words for a reply code's class when the code itself is not in :data:`BASIC_CODES`."""
DSN_CLASS_WORDS = {"2": "", "4": "temporary: ", "5": "permanent: "}
"""Prefix for an enhanced code's meaning, by its class digit."""
EXPIRY_RE = re.compile(
    r"retry timeout exceeded|status=expired|been in the queue too long|message expired|"
    r"delivery time expired|queue lifetime",
    re.IGNORECASE,
)
"""Texts saying the MTA gave up because the queue lifetime ran out."""
BLOCKLIST_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(pattern, re.IGNORECASE), key)
    for key, pattern in (
        ("spamhaus", r"spamhaus"),
        ("spamcop", r"spamcop"),
        ("barracuda", r"barracuda(?:central)?\b|\bBRBL\b"),
        ("sorbs", r"\bsorbs\b"),
        ("uceprotect", r"uceprotect"),
        ("microsoft", r"\bS3150\b|\bS3140\b|banned sending IP|5\.7\.606|5\.7\.708|"
                      r"traffic not accepted from this IP|block list \(AS\d+\)"),
        ("proofpoint", r"proofpoint|pphosted\.com.*block|ipcheck\.proofpoint"),
        ("abusix", r"abusix"),
        ("mailspike", r"mailspike"),
        ("cloudmark", r"cloudmark|\bCSI\b.*(?:block|listed)"),
        ("psbl", r"psbl\.surriel|\bPSBL\b"),
        ("spamrats", r"spamrats"),
        ("invaluement", r"invaluement"),
        ("surbl", r"\bsurbl\b"),
        ("uribl", r"\buribl\b"),
        ("0spam", r"0spam"),
        ("truncate", r"truncate\.gbudb"),
        ("generic", r"blocked using|listed (?:at|in|on|by)\b|\bRBLs?\b|\bDNSBLs?\b|black ?list|"
                    r"block ?list(?:ed)?\b|blacklisted|\bon our block"),
    )
]
"""Blocklist keys of :data:`BLOCKLISTS` by the texts naming them, in priority order (``generic`` last)."""


REASONS: dict[str, str] = {
    "no-such-user": "the recipient address does not exist (or is not a valid address)",
    "mailbox-full": "the recipient's mailbox is full",
    "mailbox-disabled": "the recipient's mailbox exists but is disabled, closed or moved",
    "blocklisted": "the sending IP (or a domain in the message) is on a named blocklist or a provider's ban list",
    "reputation": "the provider's own judgement of the sending IP or domain (complaints, volume, history)",
    "auth": "sender authentication failed: SPF, DKIM, DMARC, or the SMTP login (SASL)",
    "rate-limit": "too much mail, too many connections or recipients at once; slow down",
    "spam-content": "the message itself was judged to be spam, phishing or malware",
    "policy": "a local rule of the receiving server (sender, relay, content or access rules)",
    "tls": "the encrypted connection (TLS) could not be set up or was required",
    "greylist": "greylisting: the first try from an unknown sender is turned away, a retry gets in",
    "size": "the message is larger than the receiving server accepts",
    "dns": "a DNS record is missing or broken: the recipient domain, its MX, or the sending IP's reverse DNS",
    "connection": "no SMTP conversation: refused, timed out, or broken off",
    "server-error": "the receiving server is busy, shutting down or has a fault of its own",
    "other": "anything else, or the log does not say",
}
"""The stable machine-readable reasons (JSON/CSV ``reason``), with what each means.

Coarser than the categories and meant for scripts: a category may be renamed or split, a
reason stays. ``None`` (JSON ``null``) means there was nothing to explain (delivered, in transit).
"""

CATEGORY_REASON: dict[str, str | None] = {
    "delivered": None,
    "in_transit": None,
    "no_such_user": "no-such-user",
    "bad_address": "no-such-user",
    "mailbox_full": "mailbox-full",
    "mailbox_disabled": "mailbox-disabled",
    "mailbox_moved": "mailbox-disabled",
    "blocklisted": "blocklisted",
    "spf_dkim_dmarc": "auth",
    "auth_failed": "auth",
    "rate_limited": "rate-limit",
    "too_many_recipients": "rate-limit",
    "spam_content": "spam-content",
    "policy": "policy",
    "sender_rejected": "policy",
    "relay_denied": "policy",
    "content_rejected": "policy",
    "tls_failed": "tls",
    "greylisted": "greylist",
    "message_too_large": "size",
    "no_such_domain": "dns",
    "no_mx_host_not_found": "dns",
    "no_mail_service": "dns",
    "reverse_dns": "dns",
    "connection_failed": "connection",
    "connection_refused": "connection",
    "connection_timeout": "connection",
    "connection_lost": "connection",
    "remote_busy": "server-error",
    "remote_problem": "server-error",
    "protocol_error": "other",
    "mail_loop": "other",
    "expired": "other",
    "deleted": "other",
    "temporary_other": "other",
    "permanent_other": "other",
    "unknown": "other",
}
"""The one mapping from the (finer) categories to :data:`REASONS`; every category has an entry."""
