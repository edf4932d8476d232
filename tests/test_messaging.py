"""The account's messaging webhooks: the emulator's endpoints and the provider called directly."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from pulumi_flowroute import FlowrouteClient, ResourceError, messaging_callbacks
from pulumi_flowroute.emulator import MockFlowroute
from pulumi_flowroute.errors import Unprocessable
from pulumi_flowroute.messaging_callbacks import MessagingCallbacksProvider
from tests.support.audit import ACCESS_KEY, SECRET_KEY
from tests.support.emulators import writes
from tests.support.providers import checked, configured

SMS = "https://hooks.example.com/sms"
DLR = "https://hooks.example.com/dlr"


@pytest.fixture
def webhooks(mock: MockFlowroute) -> MessagingCallbacksProvider:
    return configured(MessagingCallbacksProvider)


def test_the_emulator_takes_the_wrapped_and_the_flat_body(client: FlowrouteClient) -> None:
    client.set_callback("sms", SMS)
    assert client.get_callback("sms") == SMS
    flat = requests.put(
        "https://api.flowroute.com/v2.1/messages/mms_callback",
        json={"callback_url": "https://hooks.example.com/mms"},
        auth=(ACCESS_KEY, SECRET_KEY),
        timeout=10,
    )
    assert flat.status_code == 204
    assert client.get_callback("mms") == "https://hooks.example.com/mms"
    with pytest.raises(Unprocessable):
        client.set_callback("dlr", "hooks.example.com/dlr")
    client.clear_callback("sms")
    assert client.get_callback("sms") is None


def test_only_the_urls_given_are_managed(
    webhooks: MessagingCallbacksProvider, client: FlowrouteClient, mock: MockFlowroute
) -> None:
    client.set_callback("mms", "https://old.example.com/mms")
    client.set_callback("sms", "https://old.example.com/sms")
    mock.clear_requests()
    outs = webhooks.create(checked(webhooks, {"sms_url": SMS, "dlr_url": DLR})).outs or {}
    assert sorted(writes(mock)) == [
        ("PUT", "/v2.1/messages/dlr_callback"),
        ("PUT", "/v2.1/messages/sms_callback"),
    ]
    assert (outs["sms_url"], outs["mms_url"], outs["dlr_url"]) == (
        SMS,
        "https://old.example.com/mms",
        DLR,
    )
    assert outs["previous"] == {
        "sms_url": "https://old.example.com/sms",
        "mms_url": "https://old.example.com/mms",
    }
    # Changed in the portal: refresh sees the managed URL; the unmanaged one stays unset.
    client.set_callback("sms", "https://portal.example.com/sms")
    client.set_callback("mms", "https://portal.example.com/mms")
    read = webhooks.read(messaging_callbacks.ID, outs)
    assert read.inputs == {
        "sms_url": "https://portal.example.com/sms",
        "mms_url": None,
        "dlr_url": None if "dlr_url" not in outs["managed"] else DLR,
        "on_delete": "keep",
    }
    news = checked(webhooks, {"sms_url": SMS, "dlr_url": DLR})
    assert webhooks.diff(messaging_callbacks.ID, read.inputs, news).changes
    mock.clear_requests()
    webhooks.update(messaging_callbacks.ID, {**outs, **read.inputs}, news)
    assert writes(mock) == [("PUT", "/v2.1/messages/sms_callback")]
    assert client.get_callback("mms") == "https://portal.example.com/mms"


@pytest.mark.parametrize(
    ("policy", "sms_after", "dlr_after"),
    [
        ("keep", SMS, DLR),
        ("clear", None, None),
        ("restore", "https://old.example.com/sms", None),
    ],
)
def test_delete_follows_the_policy(
    webhooks: MessagingCallbacksProvider,
    client: FlowrouteClient,
    policy: str,
    sms_after: str | None,
    dlr_after: str | None,
) -> None:
    client.set_callback("sms", "https://old.example.com/sms")
    client.set_callback("mms", "https://untouched.example.com/mms")
    news = {"sms_url": SMS, "dlr_url": DLR, "on_delete": policy}
    outs: dict[str, Any] = webhooks.create(checked(webhooks, news)).outs or {}
    webhooks.delete(messaging_callbacks.ID, outs)
    assert (client.get_callback("sms"), client.get_callback("dlr")) == (sms_after, dlr_after)
    assert client.get_callback("mms") == "https://untouched.example.com/mms"


def test_check_and_the_singleton_say_what_to_do(
    webhooks: MessagingCallbacksProvider, mock: MockFlowroute, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures = webhooks.check({}, {"sms_url": "hooks.example.com", "on_delete": "wipe"}).failures
    assert {f.property for f in failures} == {"sms_url", "on_delete"}
    assert "absolute https URL" in next(f.reason for f in failures if f.property == "sms_url")
    warned: list[str] = []
    monkeypatch.setattr(MessagingCallbacksProvider, "warn", staticmethod(warned.append))
    checked(webhooks, {"sms_url": "http://hooks.example.com/sms"})
    assert warned
    assert "unencrypted" in warned[0]
    assert mock.requests() == []
    webhooks.create(checked(webhooks, {"sms_url": SMS}))
    with pytest.raises(ResourceError, match="declare one MessagingCallbacks"):
        webhooks.create(checked(webhooks, {"sms_url": SMS}))
