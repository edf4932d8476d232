"""``python -m pulumi_flowroute onboard``: an existing Flowroute account as this project's fleet
config, so that the first ``pulumi up`` adopts everything and changes nothing.

It only reads (GETs): the routes, E911 addresses, caller names and webhooks, the account's
numbers page by page, and each number's details (its routes, address and caller name; the API
has no bulk details endpoint), a bounded number of them in flight. Every object it describes is
marked ``adopt: true`` and named by what the account calls it.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from .client import ADDRESS_FIELDS, BUILTIN_ROUTE_ID, FlowrouteClient
from .config import resolve_settings
from .connect import connect
from .errors import FlowrouteError
from .errors import OnboardError as OnboardError  # importable from here too, as before
from .messaging_callbacks import KINDS as CALLBACK_KINDS
from .records import CallerName, EmergencyAddress, Number, Route
from .stackfiles import Project, write_atomically

#: Details requests in flight at once: enough to hide the round trips, few enough to stay
#: within an API that rate-limits per endpoint (a 429 is retried with backoff).
IN_FLIGHT = 8
DEFAULT_PROJECT = "flowroute-fleet"


@dataclass(frozen=True)
class Account:
    """Everything the fleet config describes, as the API answered it."""

    numbers: list[Number]
    routes: dict[str, Route]
    addresses: dict[str, EmergencyAddress]
    caller_names: dict[str, CallerName]
    callbacks: dict[str, str | None]


class Progress:
    """A bar on stderr for the numbers read: redrawn in place on a terminal, else a line a tenth."""

    def __init__(self, total: int, out: TextIO) -> None:
        self.total, self.out, self.done = total, out, 0
        self.lock = threading.Lock()
        self.terminal = out.isatty()

    def tick(self) -> None:
        with self.lock:
            self.done += 1
            tenth = max(1, self.total // 10)
            if self.terminal:
                filled = 30 * self.done // max(1, self.total)
                bar = "#" * filled + "." * (30 - filled)
                end = "\n" if self.done == self.total else ""
                self.out.write(f"\rreading numbers [{bar}] {self.done}/{self.total}{end}")
            elif self.done % tenth == 0 or self.done == self.total:
                self.out.write(f"read {self.done} of {self.total} numbers\n")
            self.out.flush()


def read_account(client: FlowrouteClient, progress_to: TextIO) -> Account:
    """Read the whole account; raises :class:`FlowrouteError` on any failure."""
    routes = {route.id: route for route in client.list_routes()}
    addresses = {address.id: address for address in client.list_addresses()}
    caller_names = {record.id: record for record in client.list_caller_names()}
    callbacks = {name: client.get_callback(kind) for name, kind in CALLBACK_KINDS.items()}
    listed = [number.value for number in client.list_numbers()]
    progress = Progress(len(listed), progress_to)

    def details(value: str) -> Number:
        number = client.get_number(value)
        progress.tick()
        return number

    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        numbers = list(pool.map(details, listed))
    return Account(numbers, routes, addresses, caller_names, callbacks)


def _names(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A config name for each key, from its label (lower case, dashes), unique by a suffix."""
    taken: set[str] = set()
    named = {}
    for key, label in items:
        base = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "item"
        name, count = base, 1
        while name in taken:
            count += 1
            name = f"{base}-{count}"
        taken.add(name)
        named[key] = name
    return named


def fleet_config(account: Account) -> tuple[dict[str, Any], list[str]]:
    """The fleet config objects (``routes``, ``e911``, ``cnam``, ``messaging``, ``numbers``)
    describing ``account``, and notes on what it could not bring under management; raises
    :class:`OnboardError` for a number whose route, address or caller name the account does
    not list."""
    _check_references(account)
    used_routes = sorted(
        {
            route_id
            for number in account.numbers
            for route_id in (number.primary_route_id, number.failover_route_id)
            if route_id is not None and route_id != BUILTIN_ROUTE_ID
        },
        key=int,
    )
    unmanaged = _unmanaged_routes(account, used_routes)
    names = _Names(
        routes=_names(
            (rid, account.routes[rid].alias or "") for rid in used_routes if rid not in unmanaged
        ),
        addresses=_names((a.id, a.label or f"e911-{a.id}") for a in account.addresses.values()),
        caller_names=_names(
            (cid, account.caller_names[cid].value)
            for cid in sorted(
                {n.cnam_id for n in account.numbers if n.cnam_id is not None}, key=int
            )
        ),
    )
    config = _shared_config(account, names)
    number_names = _names((n.value, n.alias or f"n{n.value}") for n in account.numbers)
    config["numbers"] = {
        number_names[number.value]: _number_entry(number, names) for number in account.numbers
    }
    return config, list(unmanaged.values())


def _check_references(account: Account) -> None:
    """Raise :class:`OnboardError` for the first number naming a route, address or caller name
    the account does not list."""
    for number in account.numbers:
        for slot, route_id in (
            ("primary", number.primary_route_id),
            ("failover", number.failover_route_id),
        ):
            if route_id not in (None, BUILTIN_ROUTE_ID, *account.routes):
                raise OnboardError(
                    f"{number.value}'s {slot} route {route_id} is not among the account's "
                    f"routes, so the number cannot be described; check it in the Flowroute "
                    "portal and run onboard again"
                )
        if number.e911_id is not None and number.e911_id not in account.addresses:
            raise OnboardError(
                f"{number.value}'s E911 address {number.e911_id} is not among the account's "
                "addresses; check it in the Flowroute portal and run onboard again"
            )
        if number.cnam_id is not None and number.cnam_id not in account.caller_names:
            raise OnboardError(
                f"{number.value}'s caller name {number.cnam_id} is not among the account's "
                "records; check it in the Flowroute portal and run onboard again"
            )


def _unmanaged_routes(account: Account, used_routes: list[str]) -> dict[str, str]:
    """The used routes left unmanaged (named by id in their numbers), each with a note why."""
    # Flowroute does not keep aliases unique, and an adopting InboundRoute takes the first
    # route with its alias: a route behind another of the same alias is named by id instead.
    first_of_alias: dict[str, str] = {}
    for route_id in sorted(account.routes, key=int):
        first_of_alias.setdefault(account.routes[route_id].alias or "", route_id)
    notes: dict[str, str] = {}
    for route_id in used_routes:
        alias = account.routes[route_id].alias
        if not alias:
            notes[route_id] = (
                f"route {route_id} has no alias: its numbers name it by id, and it is not managed"
            )
        elif first_of_alias[alias] != route_id:
            notes[route_id] = (
                f"route {route_id} shares the alias {alias!r} with route {first_of_alias[alias]}:"
                " its numbers name it by id, and it is not managed (give it its own alias in the"
                " portal and onboard again to manage it)"
            )
    return notes


@dataclass(frozen=True)
class _Names:
    """The config name of each managed route, address and caller name, by its id."""

    routes: dict[str, str]
    addresses: dict[str, str]
    caller_names: dict[str, str]

    def route_ref(self, route_id: str) -> Any:
        """A route as a number's entry names it: by config name, else ``{route_id: ...}``."""
        return self.routes.get(route_id) or {"route_id": route_id}


def _shared_config(account: Account, names: _Names) -> dict[str, Any]:
    """The shared objects' config: ``routes``, ``e911``, ``cnam`` and ``messaging``, each only
    when the account has some."""
    config: dict[str, Any] = {}
    if names.routes:
        config["routes"] = {
            name: _route(account.routes[route_id]) for route_id, name in names.routes.items()
        }
    if names.addresses:
        config["e911"] = {
            name: _address(account.addresses[e911_id]) for e911_id, name in names.addresses.items()
        }
    if names.caller_names:
        config["cnam"] = {
            name: {"value": account.caller_names[cnam_id].value, "adopt": True}
            for cnam_id, name in names.caller_names.items()
        }
    webhooks = {name: url for name, url in account.callbacks.items() if url}
    if webhooks:
        config["messaging"] = webhooks
    return config


def _number_entry(number: Number, names: _Names) -> dict[str, Any]:
    """One number's entry: adopted, with its alias, routes, address and caller name."""
    entry: dict[str, Any] = {"number": number.value, "adopt": True}
    if number.alias is not None:
        entry["alias"] = number.alias
    entry["cnam_lookups_enabled"] = number.cnam_lookups_enabled
    entry["primary"] = names.route_ref(number.primary_route_id or BUILTIN_ROUTE_ID)
    if number.failover_route_id is not None:
        entry["failover"] = names.route_ref(number.failover_route_id)
    if number.e911_id is not None:
        entry["e911"] = names.addresses[number.e911_id]
    if number.cnam_id is not None:
        entry["cnam"] = names.caller_names[number.cnam_id]
    return entry


def _route(route: Route) -> dict[str, Any]:
    spec: dict[str, Any] = {"route_type": route.route_type, "value": route.value}
    spec["alias"] = route.alias
    if route.edge_strategy_id is not None:
        spec["edge_strategy_id"] = route.edge_strategy_id
    spec["adopt"] = True
    return spec


def _address(address: EmergencyAddress) -> dict[str, Any]:
    fields = address.fields()
    spec: dict[str, Any] = {k: fields[k] for k in ADDRESS_FIELDS if fields.get(k) is not None}
    spec["adopt"] = True
    return spec


def stack_document(project: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """A stack file's document holding ``config`` under ``project``'s namespace."""
    return {"config": {f"{project}:{key}": value for key, value in config.items()}}


def merged(existing: Mapping[str, Any], generated: Mapping[str, Any]) -> dict[str, Any]:
    """``existing`` stack document with ``generated``'s config merged in: keys and entries
    already there stay, unless onboarding describes the same entry anew."""
    document = dict(existing)
    config = dict(document.get("config") or {})
    for key, value in generated["config"].items():
        before = config.get(key)
        if isinstance(before, Mapping) and isinstance(value, Mapping):
            config[key] = {**before, **value}
        else:
            config[key] = value
    document["config"] = config
    return document


def project_name(directory: Path) -> str:
    """The Pulumi project's name in ``directory`` (its config namespace), else the default."""
    try:
        return Project.load(directory).name
    except FileNotFoundError:
        return DEFAULT_PROJECT


def main(
    *,
    access_key: str | None,
    secret_key: str | None,
    base_url: str | None,
    write: Path | None,
    project: str | None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    env_vars: Mapping[str, str] | None = None,
    connect_to: Callable[..., FlowrouteClient] = connect,
) -> int:
    """Describe the account; print the stack config (or merge it into ``write``). 0 on success,
    1 when the account could not be read or described (nothing written)."""
    flags = {
        "flowroute:accessKey": access_key,
        "flowroute:secretKey": secret_key,
        "flowroute:baseUrl": base_url,
    }
    try:
        settings = resolve_settings(
            {k: v for k, v in flags.items() if v}, os.environ if env_vars is None else env_vars
        )
        client = connect_to(settings)
        account = read_account(client, err)
        config, notes = fleet_config(account)
    except FlowrouteError as error:
        err.write(f"error: {str(error).splitlines()[0]}\n")
        return 1
    # The stack file sits in the project directory or in its stackConfigDir (stacks/).
    places = (write.parent, write.parent.parent) if write else (Path.cwd(),)
    name = project or next(
        (found for place in places if (found := project_name(place)) != DEFAULT_PROJECT),
        DEFAULT_PROJECT,
    )
    document = stack_document(name, config)
    if write is None:
        out.write(yaml.safe_dump(document, sort_keys=False))
    else:
        existing = yaml.safe_load(write.read_text()) if write.exists() else {}
        write_atomically(write, yaml.safe_dump(merged(existing or {}, document), sort_keys=False))
    described = (
        f"{len(account.numbers)} numbers, {len(config.get('routes', {}))} routes, "
        f"{len(config.get('e911', {}))} E911 addresses, "
        f"{len(config.get('cnam', {}))} caller names"
    )
    for note in notes:
        err.write(f"note: {note}\n")
    err.write(f"described {described}{f' in {write}' if write else ''}\n")
    return 0
