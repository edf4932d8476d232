"""``MessagingCallbacks``: where Flowroute posts the account's inbound SMS, MMS and delivery
receipts.

The account has one of each webhook, so this is a singleton: two in one program are refused.
A URL left unset is not managed. What happens on delete is the user's choice: ``keep`` the URLs
(the default), ``clear`` them, or ``restore`` the values found when the resource was created.
"""

import threading
from collections.abc import Mapping
from typing import Annotated, Any, TypedDict

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from typing_extensions import Unpack

from .client import FlowrouteClient
from .conversions import as_on_delete, as_webhook_url
from .deployment import DEPLOYMENT
from .errors import NotFound, ResourceError
from .provider_base import FlowrouteProvider, FlowrouteResource
from .schema import Inputs, Problems, Rule

# Input name -> the webhook Flowroute calls it.
KINDS = {"sms_url": "sms", "mms_url": "mms", "dlr_url": "dlr"}
ID = "account-messaging-callbacks"


class MessagingCallbacksArgs(TypedDict, total=False):
    """The inputs of :class:`MessagingCallbacks`; each URL left unset is not managed.

    - ``sms_url``: where inbound SMS are posted.
    - ``mms_url``: where inbound MMS are posted.
    - ``dlr_url``: where delivery receipts for sent messages are posted.
    - ``on_delete``: ``keep`` (default) leaves the URLs; ``clear`` removes them; ``restore``
      puts back the values found when this resource was created.
    """

    sms_url: Annotated[pulumi.Input[str] | None, Rule(as_webhook_url)]
    mms_url: Annotated[pulumi.Input[str] | None, Rule(as_webhook_url)]
    dlr_url: Annotated[pulumi.Input[str] | None, Rule(as_webhook_url)]
    on_delete: Annotated[pulumi.Input[str] | None, Rule(as_on_delete, default="keep")]


INPUTS = Inputs(MessagingCallbacksArgs)


class Declared:
    """Whether a MessagingCallbacks of this deployment was created: the account has one set of
    webhooks, so a second is refused."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._taken = False

    def take(self) -> bool:
        """True for the first caller of the deployment only."""
        with self._lock:
            first, self._taken = not self._taken, True
            return first


def _current(client: FlowrouteClient) -> dict[str, str | None]:
    return {name: client.get_callback(kind) for name, kind in KINDS.items()}


class MessagingCallbacksProvider(FlowrouteProvider):
    """Dynamic provider behind :class:`MessagingCallbacks`."""

    inputs = INPUTS

    def validate(
        self, problems: Problems, news: dict[str, Any], olds: dict[str, Any]
    ) -> dict[str, Any]:
        inputs = INPUTS.validate(problems, news)
        for name in KINDS:
            url = inputs.get(name)
            if isinstance(url, str) and url.startswith("http://"):
                self.warn(f"{name} {url!r} is plain http: messages go to it unencrypted")
        return inputs

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [
            name
            for name in INPUTS.names
            if news.get(name) != olds.get(name) and (news.get(name) is not None)
        ]
        return DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        if not DEPLOYMENT.of(Declared).take():
            raise ResourceError(
                "another MessagingCallbacks in this program already manages the account's "
                "webhooks; the account has one of each, so declare one MessagingCallbacks."
            )
        client = self.client
        found = _current(client)
        return CreateResult(ID, self._outputs(props, self._apply(client, found, props), found))

    def _apply(
        self, client: FlowrouteClient, current: Mapping[str, Any], wanted: Mapping[str, Any]
    ) -> dict[str, Any]:
        """PUT the wanted URLs that differ; returns the URLs as they now stand."""
        now = {name: current.get(name) for name in KINDS}
        for name, kind in KINDS.items():
            url = wanted.get(name)
            if url is not None and url != now[name]:
                client.set_callback(kind, url)
                self.info(f"{kind} webhook set to {url}")
                now[name] = url
        return now

    @staticmethod
    def _outputs(
        props: Mapping[str, Any], read: Mapping[str, Any], previous: Mapping[str, Any]
    ) -> dict[str, Any]:
        return {
            **{name: read.get(name) for name in KINDS},
            "on_delete": props.get("on_delete") or "keep",
            # Only the URLs that were set: the engine drops null members of an object.
            "previous": {name: url for name, url in previous.items() if url is not None},
            "managed": [name for name in KINDS if props.get(name) is not None],
        }

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        read = _current(self.client)
        managed = props.get("managed") or []
        outs = self._outputs(props, read, props.get("previous") or {})
        outs["managed"] = managed
        # An unmanaged URL is left alone: it stays unset among the inputs.
        inputs = {name: read[name] if name in managed else None for name in KINDS}
        inputs["on_delete"] = outs["on_delete"]
        return ReadResult(id_, outs, inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        now = self._apply(self.client, olds, news)
        outs = self._outputs(news, now, olds.get("previous") or {})
        outs["managed"] = sorted(set(olds.get("managed") or []) | set(outs["managed"]))
        return UpdateResult(outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        policy = props.get("on_delete") or "keep"
        managed = props.get("managed") or []
        if policy == "keep" or not managed:
            self.info("the account's messaging webhooks stay as they are (on_delete is keep)")
            return
        client = self.client
        previous = props.get("previous") or {}
        for name in managed:
            kind = KINDS[name]
            url = previous.get(name) if policy == "restore" else None
            if url:
                client.set_callback(kind, url)
                self.info(f"{kind} webhook restored to {url}")
                continue
            try:
                client.clear_callback(kind)
            except NotFound:
                self.warn(f"the {kind} webhook could not be cleared here; clear it in the portal")
                continue
            self.info(f"{kind} webhook cleared")


class MessagingCallbacks(FlowrouteResource, module="flowroute", name="MessagingCallbacks"):
    """The account's messaging webhooks (one per account: declare one)."""

    provider_class = MessagingCallbacksProvider

    sms_url: pulumi.Output[str | None]
    mms_url: pulumi.Output[str | None]
    dlr_url: pulumi.Output[str | None]
    on_delete: pulumi.Output[str]
    previous: pulumi.Output[dict[str, str | None]]

    @INPUTS.keywords
    def __init__(
        self,
        resource_name: str,
        *,
        opts: pulumi.ResourceOptions | None = None,
        **args: Unpack[MessagingCallbacksArgs],
    ) -> None:
        """Declare the webhooks (see :class:`MessagingCallbacksArgs` for each input)."""
        super().__init__(resource_name, args, opts)

    def hidden_inputs(self, resource_name: str, reference: bool) -> dict[str, Any]:
        return {"managed": None}

    @classmethod
    def get(
        cls,
        resource_name: str,
        id: pulumi.Input[str] = ID,
        opts: pulumi.ResourceOptions | None = None,
    ) -> "MessagingCallbacks":
        """Read the account's webhooks, read-only (there is one set per account)."""
        return super().get(resource_name, id, opts)
