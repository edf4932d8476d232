"""Caller-name (CNAM) records and assignments: the emulator's review, and both providers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from pulumi_flowroute import FlowrouteClient, ResourceError
from pulumi_flowroute.cnam_assignment import CnamAssignmentProvider
from pulumi_flowroute.cnam_record import CnamRecordProvider
from pulumi_flowroute.emulator import MockFlowroute
from pulumi_flowroute.errors import NotFound, Unprocessable
from tests.support.audit import ACCESS_KEY, SECRET_KEY
from tests.support.providers import checked, configured


@pytest.fixture
def records(mock: MockFlowroute) -> CnamRecordProvider:
    return configured(CnamRecordProvider)


@pytest.fixture
def assignments(mock: MockFlowroute) -> CnamAssignmentProvider:
    return configured(CnamAssignmentProvider)


def created(records: CnamRecordProvider, **news: Any) -> dict[str, Any]:
    return records.create(checked(records, {"value": "Acme Support", **news})).outs or {}


def test_the_emulator_reviews_records_and_takes_each_sdks_body(
    client: FlowrouteClient, owned_number: str, mock: MockFlowroute
) -> None:
    record = client.create_caller_name("Heartwood")
    assert (record.value, record.status) == ("HEARTWOOD", "pending")
    with pytest.raises(Unprocessable, match="already exists"):
        client.create_caller_name("heartwood")
    # The Python SDK sends a form body.
    form = requests.post(
        "https://api.flowroute.com/v2/cnams",
        data={"value": "Bob Law"},
        auth=(ACCESS_KEY, SECRET_KEY),
        timeout=10,
    )
    assert form.status_code == 201
    assert form.json()["data"]["attributes"]["value"] == "BOB LAW"
    with pytest.raises(Unprocessable, match="not approved"):
        client.assign_caller_name(owned_number, record.id)
    mock.approve_cnam(record.id)
    assert client.assign_caller_name(owned_number, record.id)
    assert client.get_number(owned_number).cnam_id == record.id
    assert client.get_caller_name(record.id).numbers == (owned_number,)
    mock.reject_cnam(form.json()["data"]["id"], "Not a business name.")
    rejected = client.get_caller_name(form.json()["data"]["id"])
    assert (rejected.status, rejected.rejection_reason) == ("rejected", "Not a business name.")
    client.delete_caller_name(record.id)  # takes it off every number
    assert client.get_number(owned_number).cnam_id is None
    with pytest.raises(NotFound, match="Nothing to delete"):
        client.delete_caller_name(record.id)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("", "1 to 15"),
        ("A" * 16, "1 to 15"),
        ("2065551234", "at least one letter"),
        ("Ac#me", "only"),
    ],
)
def test_check_names_the_value_and_the_fix(
    records: CnamRecordProvider, mock: MockFlowroute, value: str, says: str
) -> None:
    failures = records.check({}, {"value": value}).failures
    assert [f.property for f in failures] == ["value"]
    assert says in failures[0].reason
    assert mock.requests() == []


def test_a_pending_record_changes_in_place_an_approved_one_only_with_the_gap_allowed(
    records: CnamRecordProvider, client: FlowrouteClient, mock: MockFlowroute
) -> None:
    outs = created(records)
    assert (outs["value"], outs["status"]) == ("ACME SUPPORT", "pending")
    news = checked(records, {"value": "Acme Help"})
    diff = records.diff(outs["cnam_id"], outs, news)
    assert diff.changes
    assert diff.replaces == []
    outs = records.update(outs["cnam_id"], outs, news).outs or {}
    assert client.get_caller_name(outs["cnam_id"]).value == "ACME HELP"
    mock.approve_cnam(outs["cnam_id"])
    outs = records.read(outs["cnam_id"], outs).outs or {}
    assert outs["status"] == "approved"
    with pytest.raises(ResourceError, match="allow_caller_id_gap=True"):
        records.diff(outs["cnam_id"], outs, checked(records, {"value": "Acme Desk"}))
    allowed = checked(records, {"value": "Acme Desk", "allow_caller_id_gap": True})
    assert records.diff(outs["cnam_id"], outs, allowed).replaces == ["value"]


def test_an_existing_record_is_adopted_only_when_asked(
    records: CnamRecordProvider, client: FlowrouteClient
) -> None:
    existing = client.create_caller_name("ACME SUPPORT")
    with pytest.raises(ResourceError, match=f"cnam_id {existing.id}.*adopt=True"):
        created(records)
    outs = created(records, adopt=True)
    assert (outs["cnam_id"], outs["adopted"]) == (existing.id, True)


def test_the_wait_for_approval_is_bounded_and_not_an_error(
    records: CnamRecordProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pulumi_flowroute.cnam_record.POLL_SECONDS", 0.05)
    outs = created(records, wait_for_approval_seconds=0.2)
    assert outs["status"] == "pending"


def test_an_assignment_waits_for_approval_and_keeps_its_days(
    records: CnamRecordProvider,
    assignments: CnamAssignmentProvider,
    client: FlowrouteClient,
    owned_number: str,
    mock: MockFlowroute,
) -> None:
    cnam_id = created(records)["cnam_id"]
    props = checked(assignments, {"number": owned_number, "cnam_id": cnam_id})
    with pytest.raises(ResourceError, match=r"pending Flowroute's review.*Run `pulumi up` again"):
        assignments.create(props)
    assert client.get_number(owned_number).cnam_id is None
    mock.approve_cnam(cnam_id)
    outs = assignments.create(props).outs or {}
    assert outs["cnam_id"] == cnam_id
    assert outs["requested_at"]
    # Not showing yet within the days it takes is not drift; after them it is.
    client.unassign_caller_name(owned_number)
    read = assignments.read(owned_number, outs)
    assert read.inputs == {"number": owned_number, "cnam_id": cnam_id}
    old = (datetime.now(timezone.utc) - timedelta(days=30)).isoformat()
    read = assignments.read(owned_number, {**outs, "requested_at": old})
    assert read.inputs == {"number": owned_number, "cnam_id": None}
    toll_free = next(client.search_available(starts_with="1800", limit=1)).value
    client.purchase_number(toll_free)
    with pytest.raises(ResourceError, match="long-code"):
        assignments.create({"number": toll_free, "cnam_id": cnam_id})
    assignments.delete(owned_number, outs)
    assignments.delete("12065550000", outs)  # a number already gone is fine
