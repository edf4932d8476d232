"""Manage Flowroute phone numbers and inbound voice routing with Pulumi."""

from .client import AvailableNumber, FlowrouteClient, Number, RetryPolicy, Route
from .errors import (
    ApiError,
    ConfigError,
    FlowrouteError,
    NotFound,
    TransportError,
)

__all__ = [
    "ApiError",
    "AvailableNumber",
    "ConfigError",
    "FlowrouteClient",
    "FlowrouteError",
    "NotFound",
    "Number",
    "RetryPolicy",
    "Route",
    "TransportError",
]
