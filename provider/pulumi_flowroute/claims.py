"""A stack's claim: what proves that a number an interrupted run bought is this stack's.

A number bought for a ``PhoneNumber`` is named at once with its claim,
``<project>.<stack>.<resource name>~<token>``, unless you gave it an alias. The token is drawn
once per stack and kept in the stack's Pulumi state (the ``StackClaim`` resource), not in a
local file, so a rerun on a fresh CI runner finds it; and two checkouts of one project and
stack name with separate backends on one account have different tokens, so neither ever takes
the other's numbers for its own.
"""

from __future__ import annotations

import secrets
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider

from .deployment import DEPLOYMENT
from .engine_provider import served_by_flowroute
from .provider_base import auto_alias

TOKEN_BYTES = 3


class StackClaimProvider(ResourceProvider):
    """Holds the token; it makes no API call, so it needs no configuration."""

    serialize_as_secret_always = False

    def __reduce__(self) -> tuple[type[StackClaimProvider], tuple[()]]:
        return type(self), ()

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(props["token"], {"token": props["token"]})

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=False)  # the token drawn first is kept for good

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, {"token": id_})


class StackClaim(pulumi.dynamic.Resource, module="flowroute", name="StackClaim"):
    """One per stack: the random token in every default alias the stack gives a number."""

    token: pulumi.Output[str]

    def __init__(self) -> None:
        # Drawn on every run, used only the first time: the provider reports no change, and
        # ignore_changes keeps the recorded token among the inputs too.
        super().__init__(
            StackClaimProvider(),
            "flowroute-stack-claim",
            {"token": secrets.token_hex(TOKEN_BYTES)},
            served_by_flowroute(pulumi.ResourceOptions(ignore_changes=["token"])),
        )


def claim_alias(resource_name: str) -> pulumi.Output[str]:
    """The default alias of the number ``resource_name`` buys: ``project.stack.name~token``."""
    claim = DEPLOYMENT.once_per_run(StackClaim)
    room = 1 + 2 * TOKEN_BYTES
    return claim.token.apply(lambda token: f"{auto_alias(resource_name, reserve=room)}~{token}")
