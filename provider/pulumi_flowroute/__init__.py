"""Manage Flowroute phone numbers and inbound voice routing with Pulumi.

Resources: :class:`PhoneNumber`, :class:`InboundRoute`, :class:`NumberRouting`,
:class:`E911Address`, :class:`E911Assignment`, :class:`CnamRecord`, :class:`CnamAssignment`,
:class:`MessagingCallbacks`; the component
:class:`RoutedNumber`; :class:`Provider`, an explicit account for them (the default is the
stack's ``flowroute:*`` config); lookups:
:func:`get_available_numbers`, :func:`get_numbers`, :func:`get_number` (each with an ``_output``
form); a whole fleet from stack config, :func:`deploy_fleet_from_config`; the HTTP client
:class:`FlowrouteClient` and :func:`connect`, which builds one from settings; the emulator
lives in :mod:`pulumi_flowroute.emulator` (program tests: :mod:`pulumi_flowroute.testing`).
"""

from .client import (
    AvailableNumber,
    CallerName,
    EdgeStrategy,
    EmergencyAddress,
    FlowrouteClient,
    Number,
    RetryPolicy,
    Route,
)
from .cnam_assignment import CnamAssignment, CnamAssignmentArgs
from .cnam_record import CnamRecord, CnamRecordArgs
from .components import RoutedNumber
from .connect import connect
from .e911_address import E911Address, E911AddressArgs
from .e911_assignment import E911Assignment, E911AssignmentArgs
from .engine_provider import Provider
from .errors import (
    ApiError,
    BadRequest,
    ConfigError,
    FleetConfigError,
    FlowrouteError,
    Forbidden,
    IncompleteAnswer,
    MalformedResponse,
    NotFound,
    RateLimited,
    ResourceError,
    ServerError,
    TransportError,
    Unauthorized,
    Unprocessable,
)
from .fleet import deploy_fleet_from_config
from .inbound_route import InboundRoute, InboundRouteArgs
from .lookups import (
    get_available_numbers,
    get_available_numbers_output,
    get_cnam_records,
    get_cnam_records_output,
    get_e911_addresses,
    get_e911_addresses_output,
    get_edge_strategies,
    get_edge_strategies_output,
    get_number,
    get_number_output,
    get_numbers,
    get_numbers_output,
)
from .messaging_callbacks import MessagingCallbacks, MessagingCallbacksArgs
from .number_routing import NumberRouting, NumberRoutingArgs
from .phone_number import NumberSearch, PhoneNumber, PhoneNumberArgs
from .transport import __version__

__all__ = [
    "ApiError",
    "AvailableNumber",
    "BadRequest",
    "CallerName",
    "CnamAssignment",
    "CnamAssignmentArgs",
    "CnamRecord",
    "CnamRecordArgs",
    "ConfigError",
    "E911Address",
    "E911AddressArgs",
    "E911Assignment",
    "E911AssignmentArgs",
    "EdgeStrategy",
    "EmergencyAddress",
    "FleetConfigError",
    "FlowrouteClient",
    "FlowrouteError",
    "Forbidden",
    "InboundRoute",
    "InboundRouteArgs",
    "IncompleteAnswer",
    "MalformedResponse",
    "MessagingCallbacks",
    "MessagingCallbacksArgs",
    "NotFound",
    "Number",
    "NumberRouting",
    "NumberRoutingArgs",
    "NumberSearch",
    "PhoneNumber",
    "PhoneNumberArgs",
    "Provider",
    "RateLimited",
    "ResourceError",
    "RetryPolicy",
    "Route",
    "RoutedNumber",
    "ServerError",
    "TransportError",
    "Unauthorized",
    "Unprocessable",
    "__version__",
    "connect",
    "deploy_fleet_from_config",
    "get_available_numbers",
    "get_available_numbers_output",
    "get_cnam_records",
    "get_cnam_records_output",
    "get_e911_addresses",
    "get_e911_addresses_output",
    "get_edge_strategies",
    "get_edge_strategies_output",
    "get_number",
    "get_number_output",
    "get_numbers",
    "get_numbers_output",
]
