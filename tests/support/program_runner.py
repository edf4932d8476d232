"""Run a whole Pulumi program the way ``pulumi preview/up/refresh/destroy`` would, without the CLI.

A gRPC ``ResourceMonitor`` and ``Engine`` of our own receive the program's registrations (made by
the real SDK through ``pulumi.runtime``), forward every dynamic resource to the SDK's real
provider server (``python -m pulumi.dynamic``, driven by ``engine.ProviderServer``), and keep state
between runs in a JSON file. The engine's rules that matter here are followed:

- preview calls only Check (new) or Check + Diff (existing), never Create/Update/Delete;
- up calls Check + Create (new), Check + Diff (existing), then Update, or Create-then-Delete for
  a replacement, the old resource deleted at the end;
- resources no longer in the program are deleted after it finishes, dependents first;
- refresh calls Read with the old outputs and inputs and drops resources that are gone;
- destroy deletes everything in reverse dependency order with the provider blob from state;
- a protected resource is never deleted; secret values are stripped before provider calls
  (the dynamic provider does not accept secrets) and are never written to state in clear.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import contextvars
import json
import os
import runpy
from collections.abc import Iterator
from concurrent import futures
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi import runtime
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, resource_pb2, resource_pb2_grpc

from tests.support.audit import assert_no_secrets
from tests.support.engine import DIFF_NONE, DIFF_SOME, SECRET_SIG, SECRET_VALUE, ProviderServer

STACK_TYPE = "pulumi:pulumi:Stack"
DYNAMIC_PREFIX = "pulumi-python:dynamic"
# The dynamic provider's own instances: their inputs are the config the provider is given.
PYTHON_PROVIDER = "pulumi:providers:pulumi-python"


class DeploymentError(Exception):
    """What the engine would print as a failed resource operation."""


@dataclass
class ResourceState:
    urn: str
    type: str
    custom: bool
    id: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    protect: bool = False
    secret_keys: list[str] = field(default_factory=list)
    external: bool = False  # read with Resource.get: Pulumi never deletes it

    @property
    def managed(self) -> bool:
        """An object the provider reads and deletes (not a component, provider or reference)."""
        return self.custom and not self.external and self.type != PYTHON_PROVIDER


@dataclass
class RunResult:
    operations: list[tuple[str, str]] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)
    error: str | None = None

    def ops(self, kind: str) -> list[str]:
        """Names (last URN part) of the resources that had operation ``kind``."""
        return [urn.rsplit("::", 1)[1] for op, urn in self.operations if op == kind]


def _plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    return dict(json_format.MessageToDict(struct))


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(props)
    return struct


def _strip_secrets(props: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Unwrap secrets as the engine does for a provider that does not accept them."""
    plain, secret = {}, []
    for key, value in props.items():
        if isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_VALUE:
            plain[key] = value["value"]
            secret.append(key)
        else:
            plain[key] = value
    return plain, secret


def _wrap(props: dict[str, Any], secret_keys: list[str]) -> dict[str, Any]:
    return {
        k: {SECRET_SIG: SECRET_VALUE, "value": v} if k in secret_keys else v
        for k, v in props.items()
    }


class StateFile:
    """The stack's state, as the local file backend keeps it: secrets never in clear text."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, ResourceState]:
        if not self.path.exists():
            return {}
        resources = {}
        for item in json.loads(self.path.read_text())["resources"]:
            state = ResourceState(**item)
            for key in state.secret_keys:
                for bag in (state.inputs, state.outputs):
                    if key in bag:
                        bag[key] = json.loads(base64.b64decode(bag[key]["ciphertext"]))
            resources[state.urn] = state
        return resources

    def save(self, resources: dict[str, ResourceState]) -> None:
        items = []
        for state in resources.values():
            item = asdict(state)
            for key in state.secret_keys:
                for bag in (item["inputs"], item["outputs"]):
                    if key in bag:
                        # A stand-in for the backend's encryption: not readable by grep.
                        cipher = base64.b64encode(json.dumps(bag[key]).encode()).decode()
                        bag[key] = {"secure": True, "ciphertext": cipher}
            items.append(item)
        text = json.dumps({"resources": items}, indent=1)
        assert_no_secrets(text, f"the state file {self.path}")
        self.path.write_text(text)


class Deployment:
    """One operation (preview, up) over the previous state."""

    def __init__(self, runner: ProgramRunner, provider: ProviderServer, preview: bool) -> None:
        self.runner = runner
        self.provider = provider
        self.preview = preview
        self.old = runner.state.load()
        self.new: dict[str, ResourceState] = {}
        self.replaced: list[ResourceState] = []
        self.result = RunResult()
        self.root_urn = ""

    def urn(self, type_: str, name: str, parent: str) -> str:
        qualified = type_
        parent_state = self.new.get(parent)
        if parent_state is not None and parent_state.type != STACK_TYPE:
            qualified = f"{parent.split('::')[2]}${type_}"
        return f"urn:pulumi:{self.runner.stack}::{self.runner.project}::{qualified}::{name}"

    def register(
        self, request: resource_pb2.RegisterResourceRequest
    ) -> tuple[str, str, dict[str, Any]]:
        urn = self.urn(request.type, request.name, request.parent)
        news, secret_keys = _strip_secrets(_plain(request.object))
        state = ResourceState(
            urn=urn,
            type=request.type,
            custom=request.custom,
            parent=request.parent,
            dependencies=list(request.dependencies),
            protect=request.protect,
            secret_keys=secret_keys,
        )
        if not request.custom:
            old = self.old.get(urn)
            state.outputs = old.outputs if old else {}
            self.new[urn] = state
            return urn, "", {}
        if request.type == PYTHON_PROVIDER:
            return self._register_provider(state, news)
        if not request.type.startswith(DYNAMIC_PREFIX):
            raise DeploymentError(f"{urn}: only dynamic resources are supported by this runner")
        old = self.old.get(urn)
        inputs, failures = self.provider.check(urn, old.inputs if old else {}, news)
        if failures:
            raise DeploymentError(
                f"{urn}: check failed: " + "; ".join(reason for _, reason in failures)
            )
        state.inputs = inputs
        if old is None:
            self._op("create", urn)
            if self.preview:
                self.new[urn] = state
                return urn, "", inputs
            state.id, state.outputs = self.provider.create(urn, inputs)
        else:
            state.id = old.id
            changes, replaces = self.provider.diff(urn, old.id, old.outputs, inputs)
            if changes == DIFF_NONE:
                self._op("same", urn)
                state.outputs = old.outputs
            elif replaces:
                self._op("replace", urn)
                if self.preview:
                    self.new[urn] = state
                    return urn, "", inputs
                self.replaced.append(old)
                state.id, state.outputs = self.provider.create(urn, inputs)
            else:
                self._op("update", urn)
                if self.preview:
                    state.outputs = {**old.outputs, **inputs}
                else:
                    state.outputs = self.provider.update(urn, old.id, old.outputs, inputs)
        self.new[urn] = state
        return urn, state.id, state.outputs

    def _register_provider(
        self, state: ResourceState, news: dict[str, Any]
    ) -> tuple[str, str, dict[str, Any]]:
        """A ``pulumi-python`` provider instance: the config its resources are served with.

        One provider server stands in for every instance; the runner's programs register at
        most one, before any resource it serves, so configuring it here is what the engine does.
        """
        old = self.old.get(state.urn)
        state.id = old.id if old else state.urn.rsplit("::", 1)[1]
        state.inputs = state.outputs = news
        self._op("same" if old and old.inputs == news else "update" if old else "create", state.urn)
        self.provider.configure(news, secret_keys=tuple(state.secret_keys))
        self.new[state.urn] = state
        return state.urn, state.id, news

    def read(self, request: resource_pb2.ReadResourceRequest) -> tuple[str, dict[str, Any]]:
        """A ``Resource.get``: read an existing object; it is never created or deleted."""
        urn = self.urn(request.type, request.name, request.parent)
        props, _ = _strip_secrets(_plain(request.properties))
        id_, outputs, _ = self.provider.read(urn, request.id, props, props)
        if not id_:
            raise DeploymentError(f"{urn}: no object with id {request.id!r} exists")
        self._op("read", urn)
        self.new[urn] = ResourceState(
            urn=urn,
            type=request.type,
            custom=True,
            id=id_,
            outputs=outputs,
            parent=request.parent,
            external=True,
        )
        return urn, outputs

    def _op(self, kind: str, urn: str) -> None:
        self.result.operations.append((kind, urn))

    def finish(self) -> None:
        """Delete what the program no longer declares, and what was replaced, dependents first."""
        # One pass over the old state, which is in registration (dependency) order, as the
        # engine does: an old routing goes before the route it used, replaced or gone.
        replaced = {state.urn for state in self.replaced}
        for urn, state in reversed(self.old.items()):
            if urn in replaced:
                self._delete(state, kind="delete-replaced")
            elif urn not in self.new:
                self._delete(state)
        if not self.preview:
            self.runner.state.save(self.new)

    def _delete(self, state: ResourceState, kind: str = "delete") -> None:
        if state.protect:
            raise DeploymentError(f"{state.urn} is protected; remove protect to delete it")
        self._op(kind, state.urn)
        if state.managed and not self.preview:
            self.provider.delete(state.urn, state.id, state.outputs)


class _Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    def __init__(self, runner: ProgramRunner) -> None:
        self.runner = runner

    def GetDeploymentInfo(self, request: Any, context: Any) -> Any:
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not a real engine")

    def SignalAndWaitForShutdown(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    def SupportsFeature(self, request: Any, context: Any) -> Any:
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id == "secrets")

    def RegisterResource(self, request: Any, context: Any) -> Any:
        deployment = self.runner.deployment
        assert deployment is not None
        try:
            urn, id_, outputs = deployment.register(request)
        except (DeploymentError, grpc.RpcError) as error:
            message = error.details() if isinstance(error, grpc.RpcError) else str(error)
            self.runner.failures.append(message)
            context.abort(grpc.StatusCode.UNKNOWN, message)
        if request.type == STACK_TYPE:
            deployment.root_urn = urn
        secret = deployment.new[urn].secret_keys if request.acceptSecrets else []
        return resource_pb2.RegisterResourceResponse(
            urn=urn, id=id_, object=_struct(_wrap(outputs, secret))
        )

    def ReadResource(self, request: Any, context: Any) -> Any:
        deployment = self.runner.deployment
        assert deployment is not None
        try:
            urn, outputs = deployment.read(request)
        except (DeploymentError, grpc.RpcError) as error:
            message = error.details() if isinstance(error, grpc.RpcError) else str(error)
            self.runner.failures.append(message)
            context.abort(grpc.StatusCode.UNKNOWN, message)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=_struct(outputs))

    def RegisterResourceOutputs(self, request: Any, context: Any) -> Any:
        deployment = self.runner.deployment
        assert deployment is not None
        outputs, _ = _strip_secrets(_plain(request.outputs))
        if request.urn in deployment.new:
            deployment.new[request.urn].outputs = outputs
        if request.urn == deployment.root_urn:
            deployment.result.exports = outputs
        return empty_pb2.Empty()


class _Engine(engine_pb2_grpc.EngineServicer):
    def __init__(self, runner: ProgramRunner) -> None:
        self.runner = runner
        self.root = ""

    def Log(self, request: Any, context: Any) -> Any:
        self.runner.logs.append(request.message)
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.GetRootResourceResponse(urn=self.root)

    def SetRootResource(self, request: Any, context: Any) -> Any:
        self.root = request.urn
        return engine_pb2.SetRootResourceResponse()


class ProgramRunner:
    """A stack: a program directory, its config and its state, and the four operations."""

    def __init__(
        self,
        project_dir: Path,
        project: str,
        stack: str,
        config: dict[str, Any],
        state_path: Path,
        secret_keys: tuple[str, ...] = (),
    ) -> None:
        self.project_dir = project_dir
        self.project = project
        self.stack = stack
        self.config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
        self.secret_keys = secret_keys
        self.state = StateFile(state_path)
        self.deployment: Deployment | None = None
        self.logs: list[str] = []
        self.failures: list[str] = []

    @contextlib.contextmanager
    def _provider(self) -> Iterator[ProviderServer]:
        provider = ProviderServer(
            cwd=self.project_dir, env={"PULUMI_PROJECT": self.project, "PULUMI_STACK": self.stack}
        )
        provider.configure(self.config, secret_keys=self.secret_keys)
        try:
            yield provider
        finally:
            self.logs.extend(provider.close().splitlines())

    def preview(self) -> RunResult:
        return self._run(preview=True)

    def up(self) -> RunResult:
        return self._run(preview=False)

    def _run(self, preview: bool) -> RunResult:
        self.logs, self.failures = [], []
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
        engine = _Engine(self)
        resource_pb2_grpc.add_ResourceMonitorServicer_to_server(_Monitor(self), server)
        engine_pb2_grpc.add_EngineServicer_to_server(engine, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            with self._provider() as provider:
                self.deployment = Deployment(self, provider, preview)
                error = contextvars.copy_context().run(self._program, port, preview)
                result = self.deployment.result
                if error is None:
                    self.deployment.finish()
                result.error = error
        finally:
            server.stop(None)
            self.deployment = None
        result.logs = self.logs
        return result

    def _program(self, port: int, preview: bool) -> str | None:
        address = f"127.0.0.1:{port}"
        runtime.reset_options(
            project=self.project,
            stack=self.stack,
            monitor_address=address,
            engine_address=address,
            preview=preview,
            parallel=4,
        )
        runtime.set_all_config(self.config, list(self.secret_keys))
        loop = asyncio.new_event_loop()
        cwd = Path.cwd()
        os.chdir(self.project_dir)
        try:
            loop.run_until_complete(runtime.run_in_stack(self._run_main))
        except Exception as error:
            return "\n".join(self.failures) or f"{type(error).__name__}: {error}"
        finally:
            os.chdir(cwd)
            # As the language host does: settle what a failed program left pending.
            for task in asyncio.all_tasks(loop):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    loop.run_until_complete(task)
            loop.close()
        return None

    def _run_main(self) -> None:
        runpy.run_path(str(self.project_dir / "__main__.py"), run_name="__main__")

    def refresh(self) -> RunResult:
        result = RunResult()
        resources = self.state.load()
        with self._provider() as provider:
            for urn, state in list(resources.items()):
                if not state.managed:
                    continue
                id_, outputs, inputs = provider.read(urn, state.id, state.outputs, state.inputs)
                if not id_:
                    result.operations.append(("deleted", urn))
                    del resources[urn]
                    continue
                # As the CLI counts it: a refresh is an update when the provider's diff of the
                # state against what was read says so; outputs alone moving (a status, an id
                # another resource set) leave it "unchanged".
                if inputs:
                    changed = provider.diff(urn, state.id, state.outputs, inputs)[0] == DIFF_SOME
                else:
                    # No inputs read: the engine keeps the recorded ones and diffs what was read
                    # against them.
                    changed = provider.diff(urn, state.id, outputs, state.inputs)[0] == DIFF_SOME
                result.operations.append(("update" if changed else "same", urn))
                state.outputs = outputs
                if inputs:
                    state.inputs = inputs
        self.state.save(resources)
        result.logs = self.logs
        return result

    def destroy(self) -> RunResult:
        result = RunResult()
        resources = self.state.load()
        with self._provider() as provider:
            for urn, state in reversed(list(resources.items())):
                if state.protect:
                    result.error = f"{urn} is protected; remove protect to delete it"
                    break
                if state.managed:
                    provider.delete(urn, state.id, state.outputs)
                result.operations.append(("delete", urn))
                del resources[urn]
        self.state.save(resources)
        result.logs = self.logs
        return result
