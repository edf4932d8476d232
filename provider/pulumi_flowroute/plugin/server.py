"""Serving the plugin to the engine: the SDK's provider server, with this library's errors
shown as the one line they are.

The SDK's server answers any exception with its message and a Python stack trace, which the
CLI prints to the user. An error of this library already says what happened and what to do:
it is sent alone (camelCased for users of other languages), and a bug keeps its trace.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime.proto import provider_pb2_grpc

from ..errors import FlowrouteError, for_terminal
from ..lifeline import finish_calls_on_interrupt, outlive_the_host, watch_engine_at
from ..transport import __version__
from .provider import FlowroutePlugin, camel_text

_CALLS = (
    "CheckConfig",
    "DiffConfig",
    "Configure",
    "Check",
    "Diff",
    "Create",
    "Read",
    "Update",
    "Delete",
    "Construct",
    "Invoke",
)
Call = Callable[[Any, Any, Any], Awaitable[Any]]


def _plain(call: Call) -> Call:
    async def answer(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await call(self, request, context)
        except Exception as error:
            ours = next(
                (e for e in (error, error.__context__) if isinstance(e, FlowrouteError)), None
            )
            if ours is None:
                raise
            # Each line escaped: a fleet's report is one problem per line, by design.
            lines = (for_terminal(line) for line in str(ours).splitlines())
            await context.abort(grpc.StatusCode.UNKNOWN, camel_text("\n".join(lines)))

    return answer


class PlainErrors(ProviderServicer):
    """The SDK's servicer, answering this library's errors with their message alone."""


for _name in _CALLS:
    setattr(PlainErrors, _name, _plain(getattr(ProviderServicer, _name)))


def serve(argv: list[str] | None = None) -> None:
    """Run the plugin as the engine starts it: ``python __main__.py ENGINE_ADDRESS``."""
    args = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description="The flowroute Pulumi provider plugin")
    parser.add_argument("engine", help="the Pulumi engine's address")
    known, _ = parser.parse_known_args(args)
    # Served from a process the language host's SIGKILL does not reach, which finishes its calls.
    outlive_the_host()
    # Killed with the engine gone, the calls in flight may still finish what they write.
    watch_engine_at(known.engine)
    # Stopped by the engine (SIGINT) mid-call: the calls finish within its grace, then the exit.
    finish_calls_on_interrupt()

    async def run() -> None:
        server = grpc.aio.server(options=[("grpc.max_receive_message_length", 1 << 30)])
        servicer = PlainErrors(
            args, __version__, FlowroutePlugin(known.engine), engine_address=known.engine
        )
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        # The engine reads the port from the first line of standard output.
        sys.stdout.write(f"{port}\n")
        sys.stdout.flush()
        await server.wait_for_termination()

    # Stopped by the engine: the calls in flight finish on their threads before the exit.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
