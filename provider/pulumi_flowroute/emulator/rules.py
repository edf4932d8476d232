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


# The list's shape is undocumented beyond integer ids: the emulator's choice of names.
EDGE_STRATEGIES = ((1, "US West"), (2, "US East"), (3, "US Central"), (4, "Global"))


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


# -- E911 addresses ----------------------------------------------------------------------------

E911_REQUIRED = (
    "label",
    "first_name",
    "last_name",
    "street_number",
    "street_name",
    "city",
    "state",
    "country",
    "zip",
)
E911_FIELDS = (*E911_REQUIRED, "address_type", "address_type_number")
ADDRESS_TYPES = (
    "Apartment", "Basement", "Building", "Department", "Floor", "Front", "Key", "Lobby", "Lot",
    "Lower", "Office", "Penthouse", "Pier", "Rear", "Room", "Side", "Slip", "Space", "Stop",
    "Suite", "Trailer", "Unit", "Upper",
)  # fmt: skip
_COUNTRIES = {"US": "US", "USA": "US", "CA": "CA", "CANADA": "CA"}
# The emulator's stand-in for a geocoding failure: a street it cannot place.
UNPLACEABLE_STREET = "nowhere"


def e911_problems(fields: dict[str, object]) -> dict[str, list[str]]:
    """Flowroute's field rules for an address, by field; empty when it accepts them."""
    problems: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    for name in E911_FIELDS:
        value = fields.get(name)
        if value is not None and not isinstance(value, str | int):
            fail(name, "must be a string")
    for name in E911_REQUIRED:
        if not str(fields.get(name) or "").strip():
            fail(name, "is required")
    state = str(fields.get("state") or "")
    if state and not re.fullmatch(r"[A-Za-z]{2}", state):
        fail("state", "must be a two-letter state or province code")
    country = str(fields.get("country") or "")
    if country and country.upper() not in _COUNTRIES:
        fail("country", "must be US or CA")
    zip_code = str(fields.get("zip") or "").replace(" ", "")
    digits_only = _COUNTRIES.get(country.upper()) != "CA"
    if zip_code and not (
        4 <= len(zip_code) <= 7 and (zip_code.isdigit() if digits_only else zip_code.isalnum())
    ):
        fail("zip", "ZIP code must be at least 4 and at most 7 digits long")
    kind, number = fields.get("address_type"), fields.get("address_type_number")
    if kind and str(kind).capitalize() not in ADDRESS_TYPES:
        fail("address_type", f"must be one of {', '.join(ADDRESS_TYPES)}")
    if bool(kind) != bool(number):
        fail("address_type_number", "address_type and address_type_number go together")
    return problems


def normalized_e911(fields: dict[str, object]) -> dict[str, str | None]:
    """An address as stored: strings, the state upper-case, the country as US or CA."""
    stored = {
        name: None if fields.get(name) in (None, "") else str(fields[name]) for name in E911_FIELDS
    }
    if stored["state"]:
        stored["state"] = stored["state"].upper()
    if stored["country"]:
        stored["country"] = _COUNTRIES.get(stored["country"].upper(), stored["country"])
    if stored["address_type"]:
        stored["address_type"] = stored["address_type"].capitalize()
    return stored


def geocodes(fields: dict[str, str | None]) -> bool:
    """Whether the address can be placed on a map (the emulator's rule of thumb)."""
    return UNPLACEABLE_STREET not in (fields.get("street_name") or "").lower()


# -- messaging ---------------------------------------------------------------------------------

# The account-level webhooks v2.1 knows; v2.2 adds sms_dlr_callback and mms_dlr_callback.
CALLBACK_KINDS_V21 = ("sms_callback", "mms_callback", "dlr_callback")


def callback_url_ok(url: object) -> bool:
    """An absolute http(s) URL with a host and no whitespace."""
    return isinstance(url, str) and re.fullmatch(r"https?://[^\s/?#]+[^\s]*", url) is not None


# -- CNAM ----------------------------------------------------------------------------------------

CNAM_MAX_LENGTH = 15
_CNAM_CHARACTERS = re.compile(r"[A-Za-z0-9 \-_.,@+&'/\"]+")


def cnam_problem(value: object) -> str | None:
    """Why Flowroute would not store ``value`` as a caller name; None when it would."""
    if not isinstance(value, str) or not 1 <= len(value) <= CNAM_MAX_LENGTH:
        return f"must be 1 to {CNAM_MAX_LENGTH} characters"
    if not _CNAM_CHARACTERS.fullmatch(value):
        return "may hold letters, digits, spaces and - _ . , @ + & ' / \" only"
    if not any(char.isalpha() for char in value):
        return "must contain at least one letter"
    return None
