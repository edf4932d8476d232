"""``mock_flowroute()``: the emulator behind the ``responses`` library, like moto's ``mock_aws``.

Every ``requests`` call to the mocked base URL is answered by an in-memory (or file) emulator::

    with mock_flowroute() as flowroute:
        client = FlowrouteClient("key", "secret")
        client.purchase_number("12065551234")
        assert flowroute.requests()[-1].status == 201
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, overload

import requests
import responses

from . import inventory
from .controls import EmulatorControls
from .models import Fault, FlowrouteBackend, LoggedRequest
from .responses import FlowrouteApp
from .transport import to_werkzeug

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C")
METHODS = ("GET", "POST", "PATCH", "DELETE", "PUT")
# Where the real API lives: what a client built with no base URL calls.
DEFAULT_BASE_URL = "https://api.flowroute.com"


class MockFlowroute(EmulatorControls):
    """Handle on a mocked Flowroute account: a context manager, a decorator, and controls."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        db: str = ":memory:",
        seed: int = inventory.DEFAULT_SEED,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.backend = FlowrouteBackend(db, seed=seed)
        self.app = FlowrouteApp(self.backend, access_key, secret_key)
        self._mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        pattern = re.compile(re.escape(self.base_url) + r"(/.*)?$")
        for method in METHODS:
            self._mock.add_callback(method, pattern, callback=self._answer)

    def _answer(self, prepared: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        answer, drop = self.app.handle(to_werkzeug(prepared))
        if drop:
            raise requests.ConnectionError(
                "emulator fault: connection dropped after commit", request=prepared
            )
        headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-length"}
        return answer.status_code, headers, answer.get_data()

    def start(self) -> MockFlowroute:
        self._mock.start()
        return self

    def stop(self) -> None:
        # The routes stay registered, so one handle can be started again (a decorator that
        # wraps several tests, a ``with`` block entered twice).
        self._mock.stop()
        self._mock.calls.reset()

    def __enter__(self) -> MockFlowroute:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @overload
    def __call__(self, func: type[C]) -> type[C]: ...

    @overload
    def __call__(self, func: Callable[P, R]) -> Callable[P, R]: ...

    def __call__(self, func: Any) -> Any:
        """Decorate a test function, or every ``test*`` method of a test class."""
        if isinstance(func, type):
            for name, member in list(vars(func).items()):
                if name.startswith("test") and callable(member):
                    setattr(func, name, self(member))
            return func
        return self._wrap(func)

    def _wrap(self, func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with self:
                return func(*args, **kwargs)

        return wrapper

    # -- controls ----------------------------------------------------------------------------

    def reset(self, seed: int = inventory.DEFAULT_SEED, balance: float | None = None) -> None:
        kwargs: dict[str, Any] = {} if balance is None else {"balance": balance}
        self.backend.reset(seed, **kwargs)

    def seed_number(self, number: str, alias: str | None = None) -> None:
        self.backend.seed_number(number, alias=alias)

    def set_balance(self, balance: float) -> None:
        self.backend.set_balance(balance)

    def requests(self) -> list[LoggedRequest]:
        return self.backend.request_log()

    def clear_requests(self) -> None:
        self.backend.clear_request_log()

    def _arm(self, fault: Fault) -> None:
        self.backend.add_fault(fault)

    def clear_faults(self) -> None:
        self.backend.clear_faults()

    def approve_cnam(self, cnam_id: str) -> None:
        self.backend.decide_cnam(cnam_id)

    def reject_cnam(self, cnam_id: str, reason: str) -> None:
        self.backend.decide_cnam(cnam_id, reason)


def mock_flowroute(base_url: str = DEFAULT_BASE_URL, **kwargs: Any) -> MockFlowroute:
    """Mock the Flowroute API at ``base_url``; use as ``with`` block or decorator."""
    return MockFlowroute(base_url, **kwargs)
