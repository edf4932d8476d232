"""Drive the SDK's real dynamic-provider server over gRPC, the way the Pulumi engine does.

``python -u -m pulumi.dynamic`` is started as a subprocess; the engine's side (configure with
secrets wrapped, secrets stripped from later requests, Unknowns during preview, numbers as
floats) is imitated here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.dynamic.dynamic import ResourceProvider, serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime._serialization import _serialize
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

SECRET_SIG = rpc._special_sig_key
SECRET_VALUE = rpc._special_secret_sig
UNKNOWN = rpc.UNKNOWN
PROJECT, STACK = "flowroute-tests", "dev"


def provider_blob(provider: ResourceProvider) -> str:
    """The ``__provider`` value exactly as ``pulumi.dynamic.Resource.__init__`` makes it."""
    blob, _contains_secrets = _serialize(True, serialize_provider, provider)
    return str(blob)


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """Properties as the engine sends them: secrets stripped, numbers as floats."""
    struct = struct_pb2.Struct()
    struct.update({k: v for k, v in props.items() if v is not None or k == "__provider"})
    return struct


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Plain values, Unknowns kept as the engine's sentinel string."""
    return dict(json_format.MessageToDict(struct))


def wrap_secret(value: str) -> dict[str, str]:
    return {SECRET_SIG: SECRET_VALUE, "value": value}


class ProviderServer:
    """One ``python -m pulumi.dynamic`` process and a stub talking to it."""

    def __init__(self, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> None:
        environ = {**os.environ, "PULUMI_PROJECT": PROJECT, "PULUMI_STACK": STACK, **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic", "127.0.0.1:1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=environ,
        )
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        port = int(self.process.stdout.readline().decode().strip())
        # The provider logs to stderr: drain it as it comes, or a full pipe blocks a create.
        self._stderr: list[bytes] = []
        self._drain = threading.Thread(
            target=lambda stream: self._stderr.extend(iter(stream.readline, b"")),
            args=(self.process.stderr,),
            daemon=True,
        )
        self._drain.start()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def configure(self, config: Mapping[str, str], secret_keys: tuple[str, ...] = ()) -> None:
        """Send the whole stack config, secret values wrapped, as the engine does at start-up."""
        self.stub.GetPluginInfo(empty_pb2.Empty())
        args = {k: wrap_secret(v) if k in secret_keys else v for k, v in config.items()}
        self.stub.Configure(provider_pb2.ConfigureRequest(args=to_struct(args), acceptSecrets=True))

    def close(self) -> str:
        """Stop the server; returns what it wrote to stderr (the provider's log lines)."""
        self.channel.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        self._drain.join(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return b"".join(self._stderr).decode()

    # -- the ResourceProvider calls ------------------------------------------------------------

    @staticmethod
    def urn(type_name: str, name: str) -> str:
        return f"urn:pulumi:{STACK}::{PROJECT}::pulumi-python:dynamic/flowroute:{type_name}::{name}"

    def check(
        self, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        response = self.stub.Check(
            provider_pb2.CheckRequest(urn=urn, olds=to_struct(olds), news=to_struct(news))
        )
        failures = [(f.property, f.reason) for f in response.failures]
        return from_struct(response.inputs), failures

    def diff(
        self, urn: str, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> tuple[int, list[str]]:
        response = self.stub.Diff(
            provider_pb2.DiffRequest(id=id_, urn=urn, olds=to_struct(olds), news=to_struct(news))
        )
        return response.changes, list(response.replaces)

    def create(self, urn: str, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        response = self.stub.Create(
            provider_pb2.CreateRequest(urn=urn, properties=to_struct(props))
        )
        return response.id, from_struct(response.properties)

    def read(
        self, urn: str, id_: str, props: Mapping[str, Any], inputs: Mapping[str, Any] | None = None
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        response = self.stub.Read(
            provider_pb2.ReadRequest(
                id=id_, urn=urn, properties=to_struct(props), inputs=to_struct(inputs or {})
            )
        )
        return response.id, from_struct(response.properties), from_struct(response.inputs)

    def update(
        self, urn: str, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        response = self.stub.Update(
            provider_pb2.UpdateRequest(id=id_, urn=urn, olds=to_struct(olds), news=to_struct(news))
        )
        return from_struct(response.properties)

    def delete(self, urn: str, id_: str, props: Mapping[str, Any]) -> None:
        self.stub.Delete(provider_pb2.DeleteRequest(id=id_, urn=urn, properties=to_struct(props)))


DIFF_NONE = provider_pb2.DiffResponse.DIFF_NONE
DIFF_SOME = provider_pb2.DiffResponse.DIFF_SOME
