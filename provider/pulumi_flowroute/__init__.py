"""Manage Flowroute phone numbers and inbound voice routing with Pulumi.

Resources: :class:`PhoneNumber`, :class:`InboundRoute`, :class:`NumberRouting`; the component
:class:`RoutedNumber`; lookups:
:func:`get_available_numbers`, :func:`get_number`; the HTTP client :class:`FlowrouteClient`;
the emulator lives in :mod:`pulumi_flowroute.emulator`.
"""

from .client import AvailableNumber, FlowrouteClient, Number, RetryPolicy, Route, __version__
from .components import RoutedNumber
from .errors import (
    ApiError,
    ConfigError,
    FlowrouteError,
    NotFound,
    TransportError,
)
from .inbound_route import InboundRoute, RouteArgs
from .lookups import (
    get_available_numbers,
    get_available_numbers_output,
    get_number,
    get_number_output,
    get_numbers,
    get_numbers_output,
)
from .number_routing import NumberRouting
from .phone_number import NumberSearch, PhoneNumber
from .provider_base import ResourceError

__all__ = [
    "ApiError",
    "AvailableNumber",
    "ConfigError",
    "FlowrouteClient",
    "FlowrouteError",
    "InboundRoute",
    "NotFound",
    "Number",
    "NumberRouting",
    "NumberSearch",
    "PhoneNumber",
    "ResourceError",
    "RetryPolicy",
    "Route",
    "RouteArgs",
    "RoutedNumber",
    "TransportError",
    "__version__",
    "get_available_numbers",
    "get_available_numbers_output",
    "get_number",
    "get_number_output",
    "get_numbers",
    "get_numbers_output",
]
