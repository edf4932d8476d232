"""The emulator's state: one Flowroute account in SQLite, assembled from its areas.

As moto splits a service into models per resource, each area of the account lives in a module
of its own over one shared :class:`~.store.Store`: numbers and inventory (:mod:`.numbers`),
routes (:mod:`.routes`), E911 addresses (:mod:`.e911`), caller names (:mod:`.cnam`), messaging
webhooks (:mod:`.messaging`), the request log (:mod:`.requestlog`), injected faults
(:mod:`.faults`) and an account filled for demos (:mod:`.demo`). The HTTP layer
(:mod:`.responses`) parses requests and renders documents; none of this knows anything of HTTP
beyond the typed errors it raises.
"""

from __future__ import annotations

from .cnam import CnamRecord, Cnams
from .demo import DemoAccount
from .e911 import E911Record, E911s
from .faults import Fault, Faults
from .messaging import Callbacks
from .numbers import NumberRecord, Numbers
from .requestlog import LoggedRequest, RequestLog
from .routes import RouteRecord, Routes
from .store import BUILTIN_ROUTE_ID, Page

__all__ = [
    "BUILTIN_ROUTE_ID",
    "CnamRecord",
    "E911Record",
    "Fault",
    "FlowrouteBackend",
    "LoggedRequest",
    "NumberRecord",
    "Page",
    "RouteRecord",
]


class FlowrouteBackend(Numbers, Routes, E911s, Cnams, Callbacks, RequestLog, Faults, DemoAccount):
    """One emulated Flowroute account, stored in SQLite (``:memory:`` or a file)."""
