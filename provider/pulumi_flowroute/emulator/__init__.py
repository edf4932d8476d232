"""A Flowroute v2 API emulator in the style of moto.

- :class:`FlowrouteBackend` (``models``): the account state in SQLite.
- :class:`FlowrouteApp` (``responses``): the HTTP layer, a WSGI application.
- Front doors: :func:`mock_flowroute` (``responses`` mock), the ``serve`` command
  (``python -m pulumi_flowroute.emulator serve``) with :class:`RemoteEmulator` for its controls,
  and the ``emulator:PATH`` transport the client mounts in-process.
"""

from .controls import EmulatorControls
from .mock import MockFlowroute, mock_flowroute
from .models import Fault, FlowrouteBackend, LoggedRequest
from .responses import FlowrouteApp
from .server import EmulatorControlError, RemoteEmulator, make_emulator_server

__all__ = [
    "EmulatorControlError",
    "EmulatorControls",
    "Fault",
    "FlowrouteApp",
    "FlowrouteBackend",
    "LoggedRequest",
    "MockFlowroute",
    "RemoteEmulator",
    "make_emulator_server",
    "mock_flowroute",
]
