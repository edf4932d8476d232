"""What ``pulumi import`` of one of the library's dynamic resources answers: one line saying
what to do instead.

Pulumi cannot import a dynamic resource (pulumi/pulumi#16175): the code of its provider is
kept in the state of each resource, and an import has no state yet. The SDK's provider server
(``python -m pulumi.dynamic``) reads that code from the imported properties
(``props["__provider"]``, in ``get_provider``, called by ``Read``) and fails with
``KeyError: '__provider'``, which the CLI prints as a traceback, twice. None of this library's
code has run in that process yet: the installed ``pulumi_flowroute-dynamic.pth`` (setup.py)
has the process load :func:`~.provider_base.report_errors_plainly` first, which turns that
KeyError, for the library's types only, into :func:`refused_import`'s line.
"""

from __future__ import annotations

from types import TracebackType

from .errors import for_terminal

#: Where the SDK's provider server looks for a dynamic resource's provider code.
PROVIDER_KEY = "__provider"
#: The types of the library's dynamic resources: ``pulumi-python:dynamic/flowroute:<Kind>``.
TYPE_PREFIX = "pulumi-python:dynamic/flowroute:"
#: What declaring one with ``adopt=True`` takes over, by kind: what is on the account.
_ADOPTED = {
    "PhoneNumber": 'PhoneNumber("{name}", number="{id}", adopt=True)',
    "InboundRoute": "InboundRoute(..., alias=<its alias>, adopt=True)",
    "E911Address": "E911Address(<the address as stored>, adopt=True)",
    "CnamRecord": "CnamRecord(value=<its name>, adopt=True)",
}
_PLUGIN_TYPES = {
    "PhoneNumber",
    "InboundRoute",
    "NumberRouting",
    "E911Address",
    "E911Assignment",
    "CnamRecord",
    "CnamAssignment",
    "MessagingCallbacks",
}


def refused_import(error: BaseException | None, trace: TracebackType | None) -> str | None:
    """The line for a failed ``Read`` of an import of one of the library's resources, or
    None for any other failure (another package's dynamic resource keeps its traceback)."""
    if not isinstance(error, KeyError) or error.args != (PROVIDER_KEY,):
        return None
    request = _read_request(trace)
    if request is None:
        return None
    urn, id_ = str(getattr(request, "urn", "")), str(getattr(request, "id", ""))
    parts = urn.split("::")
    if len(parts) < 4:
        return None
    kind_path, name = parts[2].rsplit("$", 1)[-1], parts[-1]
    if not kind_path.startswith(TYPE_PREFIX):
        return None
    return for_terminal(import_answer(kind_path.removeprefix(TYPE_PREFIX), name, id_))


def import_answer(kind: str, name: str, id_: str) -> str:
    """What to do instead of ``pulumi import`` of the library's ``kind`` as ``name``: one line."""
    adopted = _ADOPTED.get(kind)
    if adopted:
        declare = (
            f"declare it with adopt=True ({adopted.format(name=name, id=id_)}) and run `pulumi up`"
        )
    elif kind in _PLUGIN_TYPES:
        declare = (
            f"declare the {kind} in your program and run `pulumi up`: it takes over what it finds"
        )
    else:
        declare = f"the library declares its {kind} itself"
    plugin = (
        f"; the flowroute provider plugin imports it: pulumi import "
        f"flowroute:index:{kind} {name} {id_}"
        if kind in _PLUGIN_TYPES
        else ""
    )
    return (
        f"pulumi import cannot import the dynamic resource {kind} {name!r}: {declare}, or "
        f"describe the whole account with `python -m pulumi_flowroute onboard`{plugin}"
    )


def _read_request(trace: TracebackType | None) -> object | None:
    """The request of the provider server's call the traceback passes through."""
    while trace is not None:
        request: object | None = trace.tb_frame.f_locals.get("request")
        if request is not None and hasattr(request, "urn"):
            return request
        trace = trace.tb_next
    return None
