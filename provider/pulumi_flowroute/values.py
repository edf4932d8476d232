"""What Flowroute accepts as a number, a route destination and printable text, as the provider
checks it before any API call.

The emulator keeps its own statement of Flowroute's rules (``emulator/rules.py``, which never
imports this package); ``tests/test_rules_agree.py`` feeds both the same values: written cases
must get the same verdict, and no generated value the provider accepts may be refused by the
emulator.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

ROUTE_TYPES = ("host", "number", "uri")
MAX_ALIAS_LENGTH = 64
MAX_HOSTNAME_LENGTH = 253
MAX_RATE_CENTER_LENGTH = 64
# Flowroute's ids (routes, E911 addresses, caller names) are 32-bit integers; a larger one can
# never name a record.
MAX_ID = 2**31 - 1
MAX_EDGE_STRATEGY_ID = 2**31 - 1

# ASCII only: str.isdigit() also accepts other scripts' digits and superscripts.
ASCII_DIGITS = re.compile(r"[0-9]+")
# NANP: country code 1, then an area code and an exchange that each start with 2-9.
_NANP = re.compile(r"1[2-9][0-9]{2}[2-9][0-9]{6}")

# A leading +, then digits with spaces, dots, hyphens or parentheses between them; nothing else
# (a newline or a record separator inside the digits is a paste gone wrong, not punctuation).
_NUMBER_TEXT = re.compile(r"\+?\(?[0-9][0-9 ().\-]*[0-9]")
_NUMBER_PUNCTUATION = re.compile(r"[ ().\-]")
# Longer than any way of writing an 11-digit number: not worth reading further.
_MAX_NUMBER_TEXT = 32
_HOST_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_HOSTNAME = re.compile(rf"{_HOST_LABEL}(\.{_HOST_LABEL})*\.?")
_SIP_URI = re.compile(
    r"sips?:(?:(?P<user>[A-Za-z0-9_.!~*'()&=+$,;?/%-]+)@)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^:;@\s]+)"
    r"(?::(?P<port>\d{1,5}))?(?:;transport=(?:tcp|udp|tls))?"
)


def normalize_number(text: str) -> str | None:
    """``+1 (206) 555-1234`` → ``12065551234``; None when it is not a NANP number."""
    text = text.strip(" ")
    if len(text) > _MAX_NUMBER_TEXT or not _NUMBER_TEXT.fullmatch(text):
        return None
    digits = _NUMBER_PUNCTUATION.sub("", text).removeprefix("+")
    if len(digits) == 10:
        digits = "1" + digits
    return digits if _NANP.fullmatch(digits) else None


def is_digits(value: str) -> bool:
    """Only the ASCII digits 0-9, at least one."""
    return ASCII_DIGITS.fullmatch(value) is not None


# Controls (CR, LF, NUL, ESC...), format characters (bidi overrides, zero-width spaces, soft
# hyphens), lone surrogates, and line and paragraph separators.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def unprintable(char: str) -> bool:
    """Whether ``char`` would break a log line or fool a terminal (it acts, or hides)."""
    return unicodedata.category(char) in _UNPRINTABLE


def control_character(text: str) -> str | None:
    """The first character of ``text`` that is :func:`unprintable`, or None."""
    return next((char for char in text if unprintable(char)), None)


def _port_ok(port: str | None) -> bool:
    return port is None or (is_digits(port) and 1 <= int(port) <= 65535)


def _host_ok(host: str) -> bool:
    # Brackets hold an IP address literal (RFC 3986), never a name: sip:[a] is no URI.
    bracketed = host.startswith("[") and host.endswith("]")
    try:
        ipaddress.ip_address(host[1:-1] if bracketed else host)
        return True
    except ValueError:
        return (
            not bracketed
            and len(host) <= MAX_HOSTNAME_LENGTH
            and _HOSTNAME.fullmatch(host) is not None
            and not is_digits(host.replace(".", ""))
        )


def route_value_problem(route_type: str, value: str) -> str | None:
    """Why ``value`` is not valid for ``route_type``, or None when it is."""
    if route_type == "host":
        # A port follows the last colon of a name, an IPv4 address or a bracketed IPv6 one.
        bracketed = value.startswith("[") and "]:" in value
        host, _, port = (
            value.rpartition(":") if bracketed or value.count(":") == 1 else (value, "", "")
        )
        if not host:
            host, port = value, ""
        if not _host_ok(host) or not _port_ok(port or None):
            return (
                "a host route needs an IP address or hostname with an optional :port "
                "(e.g. sip.example.com:5060)"
            )
        return None
    if route_type == "number":
        if not _NANP.fullmatch(value):
            return (
                "a number route needs an 11-digit US/Canada number starting with 1 whose area "
                "code and exchange start with 2-9 (e.g. 12065550100)"
            )
        return None
    if route_type == "uri":
        match = _SIP_URI.fullmatch(value)
        if not match or not _host_ok(match["host"]) or not _port_ok(match["port"]):
            return (
                "a uri route needs a sip: or sips: URI (e.g. sip:alice@pbx.example.com:5060"
                ";transport=tls)"
            )
        return None
    return f"route_type must be one of {', '.join(ROUTE_TYPES)}"
