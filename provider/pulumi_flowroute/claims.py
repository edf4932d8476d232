"""A stack's claim: what proves that a number an interrupted run bought is this stack's.

A number bought for a ``PhoneNumber`` is named at once with its claim,
``<project>.<stack>.<resource name>~<token>``, unless you gave it an alias. The token is drawn
once per stack and kept in the stack's Pulumi state (the ``StackClaim`` resource), not in a
local file, so a rerun on a fresh CI runner finds it; and two checkouts of one project and
stack name with separate backends on one account have different tokens, so neither ever takes
the other's numbers for its own.

The token is drawn by the ``StackClaim``'s create, so a preview of a new stack shows it, and
everything named after it, as unknown rather than a value ``up`` would not use. A route declared
without an alias is named after the claim too (:func:`route_alias`): the same name on every run,
so a run that finds the route a killed run made takes it over instead of making a second.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any, cast

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider

from .deployment import DEPLOYMENT
from .engine_provider import served_by_flowroute
from .provider_base import auto_alias, auto_alias_for

TOKEN_BYTES = 3
#: A PhoneNumber's input holding its claim, the alias a bought number gets first. Its ``__``
#: keeps it out of what Pulumi shows (the CLI hides such keys): it is bookkeeping, not a choice.
DEFAULT_ALIAS = "__default_alias"
#: Where states of earlier versions keep it (and what a caller of the provider may still give).
LEGACY_DEFAULT_ALIAS = "default_alias"


def default_alias_of(props: Mapping[str, Any]) -> Any:
    """The claim a PhoneNumber's inputs or state carry, under either key."""
    found = props.get(DEFAULT_ALIAS)
    return props.get(LEGACY_DEFAULT_ALIAS) if found is None else found


class StackClaimProvider(ResourceProvider):
    """Holds the token; it makes no API call, so it needs no configuration."""

    serialize_as_secret_always = False

    def __reduce__(self) -> tuple[type[StackClaimProvider], tuple[()]]:
        return type(self), ()

    def create(self, props: dict[str, Any]) -> CreateResult:
        # Drawn here, once: the program gives no token, so a preview shows it as unknown.
        token = secrets.token_hex(TOKEN_BYTES)
        return CreateResult(token, {"token": token})

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=False)  # the token drawn first is kept for good

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, {"token": id_})


class StackClaim(pulumi.dynamic.Resource, module="flowroute", name="StackClaim"):
    """One per stack: the random token in every default alias the stack gives a number."""

    token: pulumi.Output[str]

    def __init__(self) -> None:
        # An output only: the provider draws it at create and keeps it for good (the state of
        # an earlier version has it among the inputs too, which the provider never compares).
        super().__init__(
            StackClaimProvider(),
            "flowroute-stack-claim",
            {"token": None},
            served_by_flowroute(None),
        )


def claim_alias(resource_name: str) -> pulumi.Output[str]:
    """The default alias of the number ``resource_name`` buys: ``project.stack.name~token``."""
    claim = DEPLOYMENT.once_per_run(StackClaim)
    room = 1 + 2 * TOKEN_BYTES
    return claim.token.apply(lambda token: f"{auto_alias(resource_name, reserve=room)}~{token}")


def route_alias(urn: str, token: str) -> str:
    """An unnamed route's alias: ``project.stack.name-xxxxxx``, six hex digits of the stack's
    claim and the route's URN. The same on every run, so a run that finds the route a killed
    run made takes it over instead of making a second; unique to the stack and the resource."""
    stack, project, name = urn_parts(urn)
    digest = hashlib.sha256(f"{token}:{urn}".encode()).hexdigest()[: 2 * TOKEN_BYTES]
    return f"{auto_alias_for(project, stack, name, reserve=1 + 2 * TOKEN_BYTES)}-{digest}"


def urn_parts(urn: str) -> tuple[str, str, str]:
    """A URN's stack, project and resource name."""
    # urn:pulumi:STACK::PROJECT::TYPE::NAME (the name may itself hold "::").
    _, _, rest = urn.partition("urn:pulumi:")
    stack, project, _type, name = rest.split("::", 3)
    return stack, project, name


def urn_of(resource_name: str, type_: str, parent: pulumi.Resource | None) -> pulumi.Output[str]:
    """The URN the resource this program is declaring will have (known in a preview too)."""
    if parent is None or parent is pulumi.runtime.get_root_resource():
        # A child of the stack itself has no parent type in its URN.
        return pulumi.resource.create_urn(resource_name, type_)
    # The parent's URN, not the parent: depending on a component is waiting for its children,
    # the resource being declared among them.
    urn = parent.urn
    alone = cast("pulumi.Output[str]", pulumi.Output(set(), urn.future(), urn.is_known()))
    return pulumi.resource.create_urn(resource_name, type_, parent=alone)


def route_alias_for(
    resource_name: str, type_: str, parent: pulumi.Resource | None
) -> pulumi.Output[str]:
    """:func:`route_alias` of the resource this program declares: known once the stack's claim
    is (in a preview of a new stack, unknown)."""
    urn = urn_of(resource_name, type_, parent)
    claim = DEPLOYMENT.once_per_run(StackClaim)
    return pulumi.Output.all(claim.token, urn).apply(lambda both: route_alias(both[1], both[0]))


def described(urn: str) -> str:
    """A resource as a message names it: ``PhoneNumber 'sales'``."""
    _, _, name = urn_parts(urn)
    kind = urn.split("::")[2].rsplit("$", 1)[-1].rsplit(":", 1)[-1]
    return f"{kind} {name!r}"
