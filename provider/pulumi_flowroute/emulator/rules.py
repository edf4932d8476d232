"""Flowroute's value rules, as the API reference states them, written here for the emulator.

The provider checks inputs with rules of its own (``pulumi_flowroute.values``). The emulator does
not share them: a double that borrowed the code under test could only prove that the code agrees
with itself.
"""

from __future__ import annotations

import ipaddress
import re

ROUTE_TYPES = ("host", "number", "uri")
# Not documented; the emulator's choice, the longest alias the portal shows.
MAX_ALIAS_LENGTH = 64

_ELEVEN_DIGITS = re.compile(r"1[0-9]{10}")
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_SIP_URI = re.compile(
    r"sips?:(?:[^@\s]+@)?(?P<host>\[[^\]]+\]|[^:;@\s\[\]]+)(?::(?P<port>[0-9]+))?"
    r"(?:;transport=(?:tcp|udp|tls))?"
)


def _is_host(text: str) -> bool:
    """An IP address (IPv6 in brackets) or a DNS name that is not all digits."""
    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        ipaddress.ip_address(bare)
        return True
    except ValueError:
        pass
    labels = text.rstrip(".").split(".")
    return (
        len(text) <= 253
        and all(_LABEL.fullmatch(label) for label in labels)
        and not text.replace(".", "").isdigit()
    )


def _is_port(text: str | None) -> bool:
    return text is None or (text.isascii() and text.isdigit() and 0 < int(text) < 65536)


def route_value_problem(route_type: str, value: str) -> str | None:
    """Why Flowroute would refuse ``value`` for a route of ``route_type``; None if it accepts it."""
    if route_type == "host":
        host, colon, port = value.rpartition(":")
        if not colon or (":" in host and not host.endswith("]")):
            host, port = value, ""
        if _is_host(host) and _is_port(port or None):
            return None
        return "must be an IP address or hostname with an optional :port"
    if route_type == "number":
        return None if _ELEVEN_DIGITS.fullmatch(value) else "must be an 11-digit number"
    if route_type == "uri":
        match = _SIP_URI.fullmatch(value)
        if match and _is_host(match["host"]) and _is_port(match["port"]):
            return None
        return "must be a sip: or sips: URI"
    return f"route_type must be one of {list(ROUTE_TYPES)}"
