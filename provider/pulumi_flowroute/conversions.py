"""Every conversion of an input value: each ``as_*`` checks one value and returns it normalised,
or raises ValueError saying how to fix it. The schema (:mod:`.schema`) runs them for ``check``,
the Resource classes and the fleet config alike.

The engine hands back an int input as a float and YAML reads an unquoted number as an int, so
the digit and id conversions accept those too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from .records import MAX_TEXT
from .values import (
    MAX_ALIAS_LENGTH,
    MAX_EDGE_STRATEGY_ID,
    MAX_ID,
    MAX_RATE_CENTER_LENGTH,
    ROUTE_TYPES,
    is_digits,
    normalize_number,
)

# -- any resource -------------------------------------------------------------------------------


def int_if_whole(value: Any) -> Any:
    """An int for a whole number the engine made a float; anything else unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def digit_text(value: Any) -> Any:
    """Text for digits given as a number (an int, or the float the engine made of one)."""
    value = int_if_whole(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def as_number(value: Any) -> str:
    """A phone number from ``+1 (206) 555-1234``, ``2065551234`` or a number value."""
    value = digit_text(value)
    normalized = normalize_number(value) if isinstance(value, str) else None
    if normalized is None:
        raise ValueError(
            "give a US/Canada number as 11 digits starting with 1, e.g. '12065551234' "
            "(punctuation such as '+1 (206) 555-1234' is accepted)"
        )
    return normalized


def as_digits(value: Any) -> str:
    """Up to 11 digits of a number to search for."""
    value = digit_text(value)
    if not isinstance(value, str) or not is_digits(value) or len(value) > 11:
        raise ValueError("use up to 11 digits 0-9, e.g. '206'")
    return value


def as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("use true or false")
    return value


def as_alias(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("use a non-empty string")
    if len(value) > MAX_ALIAS_LENGTH:
        raise ValueError(f"use at most {MAX_ALIAS_LENGTH} characters (this has {len(value)})")
    return value


def as_cost(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("use a number of US dollars, e.g. 1.25")
    if value < 0:
        raise ValueError("a cost limit cannot be negative; use 0 or more")
    return float(value)


def as_id_of(kind: str, example: str, source: str) -> Callable[[Any], str]:
    """The conversion of one kind of Flowroute id (a digit string) whose messages name it:
    ``kind`` (``"route"``), an ``example`` id and the ``source`` such ids come from."""

    def as_id(value: Any) -> str:
        value = digit_text(value)
        if not isinstance(value, str) or not is_digits(value.strip()):
            raise ValueError(f"use a Flowroute {kind} id such as {example!r} ({source})")
        if int(value) > MAX_ID:
            raise ValueError(f"{kind} ids are at most {MAX_ID}; use {source}, e.g. {example!r}")
        return value.strip()

    as_id.__doc__ = f"A Flowroute {kind} id ({source}): a digit string."
    return as_id


as_route_id = as_id_of("route", "98396", "an InboundRoute's route_id")
as_e911_id = as_id_of("E911 address", "20155", "an E911Address's e911_id")
as_cnam_id = as_id_of("caller name", "22671", "a CnamRecord's cnam_id")


def as_int(value: Any) -> int:
    """A whole number (the engine may have made it a float)."""
    value = int_if_whole(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError("use a whole number")


def as_text(value: Any) -> Any:
    """A string input that YAML or the engine may have turned into a number."""
    return digit_text(value)


# -- numbers ------------------------------------------------------------------------------------


def as_state(value: Any) -> str:
    """A two-letter state or province abbreviation, as given (see its two spellings below)."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2}", value.strip()):
        raise ValueError("use the two-letter state or province code, e.g. 'WA' or 'ON'")
    return value.strip()


def as_search_state(value: Any) -> str:
    """A state for a number search: lower case, as Flowroute's inventory spells it ('wa')."""
    return as_state(value).lower()


def as_address_state(value: Any) -> str:
    """A state for an E911 address: upper case, as Flowroute's E911 records spell it ('WA')."""
    return as_state(value).upper()


_RATE_CENTER = re.compile(rf"[A-Za-z0-9][A-Za-z0-9 .'-]{{0,{MAX_RATE_CENTER_LENGTH - 1}}}")


def as_rate_center(value: Any) -> str:
    if not isinstance(value, str) or not _RATE_CENTER.fullmatch(value.strip(" ")):
        raise ValueError(
            f"use a Flowroute rate centre name of up to {MAX_RATE_CENTER_LENGTH} letters, "
            "digits and spaces, e.g. 'seattle'"
        )
    return value.strip(" ").lower()


# -- routes -------------------------------------------------------------------------------------


def as_route_type(value: Any) -> str:
    if value not in ROUTE_TYPES:
        raise ValueError(f"use one of {', '.join(ROUTE_TYPES)}")
    return str(value)


def as_edge_strategy(value: Any) -> int:
    edge = as_int(value)
    if not 1 <= edge <= MAX_EDGE_STRATEGY_ID:
        raise ValueError(
            f"use a Flowroute edge strategy id from 1 to {MAX_EDGE_STRATEGY_ID} "
            "(get_edge_strategies() lists the account's)"
        )
    return edge


# -- E911 addresses -----------------------------------------------------------------------------

# Flowroute's unit designators (address_type), matched ignoring case.
ADDRESS_TYPES = (
    "Apartment", "Basement", "Building", "Department", "Floor", "Front", "Key", "Lobby", "Lot",
    "Lower", "Office", "Penthouse", "Pier", "Rear", "Room", "Side", "Slip", "Space", "Stop",
    "Suite", "Trailer", "Unit", "Upper",
)  # fmt: skip


COUNTRIES = {"US": "US", "USA": "US", "CA": "CA", "CANADA": "CA"}


def as_address_line(value: Any) -> str:
    value = as_text(value)
    # No control character reaches a conversion: the schema reports one first.
    if not isinstance(value, str) or not value.strip():
        raise ValueError("use a non-empty string")
    return " ".join(value.split())


def as_country(value: Any) -> str:
    if not isinstance(value, str) or value.strip().upper() not in COUNTRIES:
        raise ValueError("use 'US' or 'CA': Flowroute's E911 covers the US and Canada")
    return COUNTRIES[value.strip().upper()]


def as_address_type(value: Any) -> str:
    if not isinstance(value, str) or value.strip().capitalize() not in ADDRESS_TYPES:
        raise ValueError(f"use one of {', '.join(ADDRESS_TYPES)}")
    return value.strip().capitalize()


# -- caller names -------------------------------------------------------------------------------

MAX_CALLER_NAME_LENGTH = 15


_CALLER_NAME = re.compile(r"[A-Za-z0-9 \-_.,@+&'/\"]+")


# Never hold an `up` for hours: the review can take two days.
MAX_WAIT_SECONDS = 3600.0


def as_caller_name(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= MAX_CALLER_NAME_LENGTH:
        raise ValueError(f"use 1 to {MAX_CALLER_NAME_LENGTH} characters, e.g. 'ACME SUPPORT'")
    if not _CALLER_NAME.fullmatch(value.strip()):
        raise ValueError("use letters, digits, spaces and - _ . , @ + & ' / \" only")
    if not any(char.isalpha() for char in value):
        raise ValueError("a caller name needs at least one letter (not only a phone number)")
    return value.strip().upper()


def as_wait_seconds(value: Any) -> float:
    seconds = as_cost(value)
    if seconds > MAX_WAIT_SECONDS:
        raise ValueError(
            f"wait at most {MAX_WAIT_SECONDS:g} seconds; the review can take two days, so run "
            "`pulumi refresh` later instead"
        )
    return seconds


# -- messaging webhooks -------------------------------------------------------------------------

ON_DELETE = ("keep", "clear", "restore")


class SecretInValue(ValueError):
    """A refused input that holds a secret: a message quotes :attr:`redacted` in its place.

    The message itself never repeats the value.
    """

    def __init__(self, message: str, redacted: str) -> None:
        super().__init__(message)
        self.redacted = redacted


#: The longest webhook URL taken: a longer one could not be read back (records.MAX_TEXT).
MAX_WEBHOOK_URL_LENGTH = MAX_TEXT


def as_webhook_url(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise ValueError("use an absolute https URL, e.g. 'https://hooks.example.com/sms'")
    scheme, rest = value.split("://", 1)
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in authority:
        # user:password@host: Pulumi would keep it in the state in clear and show it in its
        # output, Flowroute in its portal. The refusal quotes the URL without it.
        host = authority.rpartition("@")[2]
        raise SecretInValue(
            "remove the user name and password (user:password@) from the URL: Pulumi would "
            "keep them in clear in the state and print them; give the URL without them",
            f"{scheme}://***@{host}{rest[len(authority) :]}",
        )
    if not authority or any(char.isspace() for char in value):
        raise ValueError("use an absolute URL with a host and no spaces")
    if len(value) > MAX_WEBHOOK_URL_LENGTH:
        raise ValueError(f"use a URL of at most {MAX_WEBHOOK_URL_LENGTH} characters")
    return value


def as_on_delete(value: Any) -> str:
    if value not in ON_DELETE:
        raise ValueError(f"use one of {', '.join(ON_DELETE)}")
    return str(value)
