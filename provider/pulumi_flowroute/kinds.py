"""The resource classes a component declares its children with.

In a Python program they are the dynamic resources; inside the ``flowroute`` provider plugin,
the package's own ``flowroute:index:*`` types (:mod:`.plugin.components`). Each is called as
the dynamic class is: ``Kind(name, opts=..., **inputs)``, with snake_case inputs, and its
outputs read as snake_case attributes (``.number``, ``.route_id``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .cnam_assignment import CnamAssignment
from .cnam_record import CnamRecord
from .e911_address import E911Address
from .e911_assignment import E911Assignment
from .inbound_route import InboundRoute
from .messaging_callbacks import MessagingCallbacks
from .phone_number import PhoneNumber

Kind = Callable[..., Any]


@dataclass(frozen=True)
class Kinds:
    """One constructor per resource a component may declare."""

    PhoneNumber: Kind
    InboundRoute: Kind
    E911Address: Kind
    E911Assignment: Kind
    CnamRecord: Kind
    CnamAssignment: Kind
    MessagingCallbacks: Kind


DYNAMIC = Kinds(
    PhoneNumber=PhoneNumber,
    InboundRoute=InboundRoute,
    E911Address=E911Address,
    E911Assignment=E911Assignment,
    CnamRecord=CnamRecord,
    CnamAssignment=CnamAssignment,
    MessagingCallbacks=MessagingCallbacks,
)
