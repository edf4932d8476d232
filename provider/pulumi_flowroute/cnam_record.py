"""``CnamRecord``: a caller name (CNAM) that numbers show on outbound calls, once approved.

Flowroute reviews every record, within about 48 hours: ``status`` is ``pending``, ``approved``
or ``rejected`` (with ``rejection_reason``), and ``pulumi refresh`` brings it up to date. An
opt-in, bounded wait (``wait_for_approval_seconds``) holds ``up`` for the review; running out
is not an error. A pending record changes in place. An approved or rejected one is replaced,
new before old; since deleting an approved record takes it off every number using it, that
replacement is refused unless ``allow_caller_id_gap=True``.
"""

import time
from collections.abc import Mapping
from typing import Annotated, Any, TypedDict

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from typing_extensions import Unpack

from .client import CallerName, FlowrouteClient
from .conversions import as_bool, as_caller_name, as_wait_seconds
from .errors import ApiError, NotFound, ResourceError, Unprocessable
from .provider_base import (
    UNANSWERED,
    FlowrouteProvider,
    FlowrouteResource,
    outcome_unknown,
)
from .schema import Inputs, Rule, is_unknown

POLL_SECONDS = 5.0


class _Name(TypedDict):
    value: Annotated[
        pulumi.Input[str], Rule(as_caller_name, missing="set the caller name, e.g. 'ACME SUPPORT'")
    ]


class CnamRecordArgs(_Name, total=False):
    """The inputs of :class:`CnamRecord`.

    - ``value``: the caller name, 1 to 15 characters with a letter; Flowroute stores it in
      capitals.
    - ``adopt``: take over a record with this value already on the account.
    - ``wait_for_approval_seconds``: how long ``up`` waits for Flowroute's review (default 0:
      no wait; at most an hour). Running out is not an error.
    - ``allow_caller_id_gap``: let a change replace an approved record, though the numbers
      using it show no caller name until the new record is approved and assigned.
    """

    adopt: Annotated[pulumi.Input[bool] | None, Rule(as_bool, default=False)]
    wait_for_approval_seconds: Annotated[
        pulumi.Input[float] | None, Rule(as_wait_seconds, default=0.0)
    ]
    allow_caller_id_gap: Annotated[pulumi.Input[bool] | None, Rule(as_bool, default=False)]


INPUTS = Inputs(CnamRecordArgs)


def _outputs(record: CallerName, props: Mapping[str, Any], adopted: bool) -> dict[str, Any]:
    return {
        **{name: props.get(name) for name in INPUTS.names},
        "value": record.value,
        "cnam_id": record.id,
        "status": record.status,
        "rejection_reason": record.rejection_reason,
        "approval_datetime": record.approval_datetime,
        "adopted": adopted,
    }


class CnamRecordProvider(FlowrouteProvider):
    """Dynamic provider behind :class:`CnamRecord`."""

    inputs = INPUTS

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [k for k in INPUTS.names if news.get(k) != olds.get(k)]
        replaces: list[str] = []
        value = news.get("value")
        if "value" in changed and (is_unknown(value) or olds.get("status") != "pending"):
            replaces = ["value"]
            if olds.get("status") == "approved" and not news.get("allow_caller_id_gap"):
                raise ResourceError(
                    f"changing the approved caller name {olds.get('value')!r} to {value!r} "
                    "replaces the record, and deleting an approved record takes it off every "
                    "number using it: they show no caller name until the new one is approved "
                    "(up to 48 hours) and takes effect (5-7 business days). To avoid the gap, "
                    "add a second CnamRecord, point the CnamAssignments at it once it is "
                    "approved, then remove this one. To accept the gap, set "
                    "allow_caller_id_gap=True."
                )
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self.client
        value = props["value"]
        adopted = False
        existing = self._by_value(client, value) if props.get("adopt") else None
        if existing is not None:
            # Look before creating: adopting a record on the account writes nothing.
            self.info(f"adopted caller name {existing.id} ({value!r}, {existing.status})")
            record = self._await_review(
                client, existing, float(props.get("wait_for_approval_seconds") or 0)
            )
            return CreateResult(record.id, _outputs(record, props, True))
        self.info(f"creating caller name {value!r}")
        try:
            record = client.create_caller_name(value)
        except Unprocessable as error:
            existing = self._by_value(client, value)
            if existing is None:
                raise ResourceError(
                    f"Flowroute refused caller name {value!r}: {error.detail_text}. Fix value."
                ) from None
            if not props.get("adopt"):
                raise ResourceError(
                    f"caller name {value!r} is already on the account (cnam_id {existing.id}, "
                    f"{existing.status}), so none was created. Set adopt=True to manage it with "
                    "this CnamRecord."
                ) from None
            self.info(f"adopted caller name {existing.id} ({value!r}, {existing.status})")
            record, adopted = existing, True
        except (ApiError, *UNANSWERED) as error:
            if not outcome_unknown(error):
                raise
            found, failure = self.settle(lambda: self._by_value(client, value))
            if found is None:
                raise ResourceError(
                    f"creating caller name {value!r} got no usable answer ({error}), and "
                    + (
                        f"listing records failed too ({failure}); check the portal first."
                        if failure is not None
                        else "it did not show up, so none was created; run `pulumi up` again."
                    )
                ) from None
            record = found
        record = self._await_review(
            client, record, float(props.get("wait_for_approval_seconds") or 0)
        )
        return CreateResult(record.id, _outputs(record, props, adopted))

    @staticmethod
    def _by_value(client: FlowrouteClient, value: str) -> CallerName | None:
        return next(
            (r for r in client.list_caller_names(value=value) if r.value.upper() == value.upper()),
            None,
        )

    def _await_review(
        self, client: FlowrouteClient, record: CallerName, seconds: float
    ) -> CallerName:
        deadline = time.monotonic() + seconds
        while record.status == "pending" and time.monotonic() < deadline:
            time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            record = client.get_caller_name(record.id)
        if record.status == "rejected":
            self.warn(
                f"Flowroute rejected caller name {record.value!r}: {record.rejection_reason}. "
                "Change value to a name that meets the review, then run `pulumi up` again."
            )
        elif record.status == "pending" and seconds > 0:
            self.info(
                f"caller name {record.value!r} is still pending review after {seconds:g} s; "
                "`pulumi refresh` shows when it is approved"
            )
        return record

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            record = self.client.get_caller_name(id_)
        except NotFound:
            return ReadResult("", {})
        outs = _outputs(record, props, bool(props.get("adopted")))
        inputs = {name: props.get(name) for name in INPUTS.names}
        inputs["value"] = record.value
        return ReadResult(id_, outs, inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self.client
        record = None
        if news["value"] != olds.get("value"):
            try:
                record = client.update_caller_name(id_, news["value"])
            except Unprocessable as error:
                raise ResourceError(
                    f"Flowroute would not change caller name {olds.get('value')!r}: "
                    f"{error.detail_text}. If it was reviewed since the last refresh, run "
                    "`pulumi refresh`: the next `pulumi up` then replaces it."
                ) from None
        record = record or client.get_caller_name(id_)
        record = self._await_review(
            client, record, float(news.get("wait_for_approval_seconds") or 0)
        )
        return UpdateResult(_outputs(record, news, bool(olds.get("adopted"))))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            users = self.client.get_caller_name(id_).numbers
            self.client.delete_caller_name(id_)
        except NotFound:
            self.info(f"caller name {id_} was already gone")
            return
        if users:
            self.warn(
                f"deleting caller name {props.get('value')!r} took it off {', '.join(users)}: "
                "they show no caller name from a record until they get another"
            )


class CnamRecord(FlowrouteResource, module="flowroute", name="CnamRecord"):
    """A caller-name (CNAM) record; ``cnam_id`` is what ``CnamAssignment`` gives a number."""

    provider_class = CnamRecordProvider
    id_output = "cnam_id"

    cnam_id: pulumi.Output[str]
    value: pulumi.Output[str]
    status: pulumi.Output[str]
    rejection_reason: pulumi.Output[str | None]
    approval_datetime: pulumi.Output[str | None]
    adopt: pulumi.Output[bool]
    adopted: pulumi.Output[bool]

    @INPUTS.keywords
    def __init__(
        self,
        resource_name: str,
        *,
        opts: pulumi.ResourceOptions | None = None,
        **args: Unpack[CnamRecordArgs],
    ) -> None:
        """Declare a caller name (see :class:`CnamRecordArgs` for each input)."""
        super().__init__(resource_name, args, opts)
