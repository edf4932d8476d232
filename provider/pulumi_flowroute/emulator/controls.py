"""The emulator's control surface, declared once for both handles that offer it.

:class:`~pulumi_flowroute.emulator.MockFlowroute` drives the backend in-process;
:class:`~pulumi_flowroute.emulator.RemoteEmulator` drives a running server over its
``/_emulator/`` routes. A test written against one runs against the other.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from . import inventory
from .models import Fault, LoggedRequest


class EmulatorControls(ABC):
    """What a test can do to the emulated account besides calling the API."""

    @abstractmethod
    def reset(self, seed: int = inventory.DEFAULT_SEED, balance: float | None = None) -> None:
        """Fresh account: seeded inventory, no numbers, only route ``"0"``, empty log."""

    @abstractmethod
    def seed_number(self, number: str, alias: str | None = None) -> None:
        """Put an inventory number on the account as if bought earlier, outside Pulumi.

        ``number``: 11 digits, country code first (``"12065551234"``), one of the emulator's
        inventory: ``12065551234`` is always for sale on a fresh account, and
        ``GET /v2/numbers/available`` (``FlowrouteClient.search_available``) lists the others.
        It leaves the inventory, is not charged to the balance, and no request is logged.
        ``alias``: the portal alias it arrives with (``None``: none, as a number bought in the
        portal has), which decides how the provider treats it: a ``PhoneNumber`` needs
        ``adopt=True`` to take over a number that is already there, and a search stops at an
        unaliased match (an interrupted purchase, it cannot tell).

        Refused (an :class:`~pulumi_flowroute.emulator.exceptions.HttpBadRequest`, from a
        server an :class:`~pulumi_flowroute.emulator.EmulatorControlError`) for a number not in
        the inventory, which includes one already on the account.
        """

    @abstractmethod
    def set_balance(self, balance: float) -> None:
        """Set the account balance that purchases draw on."""

    @abstractmethod
    def requests(self) -> list[LoggedRequest]:
        """Every API request answered so far, oldest first."""

    @abstractmethod
    def clear_requests(self) -> None:
        """Empty the request log."""

    def inject_fault(
        self,
        kind: str,
        *,
        count: int = 1,
        method: str | None = None,
        path: str | None = None,
        retry_after: int | None = None,
        seconds: float | None = None,
    ) -> None:
        """Arm a fault for the next ``count`` requests matching ``method`` / ``path`` prefix.

        The kinds are those of :class:`~pulumi_flowroute.emulator.models.Fault`.
        """
        self._arm(Fault(kind, count, method, path, retry_after, seconds))

    @abstractmethod
    def _arm(self, fault: Fault) -> None: ...

    @abstractmethod
    def clear_faults(self) -> None:
        """Disarm every fault not met yet."""

    @abstractmethod
    def approve_cnam(self, cnam_id: str) -> None:
        """Flowroute's review of a caller-name record (up to 48 hours for real): approved."""

    @abstractmethod
    def reject_cnam(self, cnam_id: str, reason: str) -> None:
        """Flowroute's review of a caller-name record: rejected, with ``reason``."""
