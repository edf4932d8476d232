"""An account already in use, for onboarding tests and demos: numbers with routes, routing,
E911 addresses, caller names and messaging webhooks, made as if through the portal."""

from __future__ import annotations

import math

from .inventory import NUMBERS_PER_AREA, STANDARD_AREAS
from .store import Store, record_key, timestamp

DEMO_ROUTES = (
    ("host", "sip.example.com:5060", "office-pbx"),
    ("number", "12065550100", "on-call-cell"),
    ("uri", "sip:support@pbx.example.com;transport=tls", "support-desk"),
)
DEMO_ADDRESSES = (
    (
        "Seattle office",
        "Ada",
        "Lovelace",
        "1218",
        "3rd Ave",
        "Suite",
        "600",
        "Seattle",
        "WA",
        "98101",
    ),
    (
        "Portland office",
        "Grace",
        "Hopper",
        "1120",
        "NW Couch St",
        None,
        None,
        "Portland",
        "OR",
        "97209",
    ),
)
DEMO_CALLER_NAME = "ACME SUPPORT"
DEMO_WEBHOOK = "https://hooks.example.com/flowroute/sms"


class DemoAccount(Store):
    """Fills the account as a team that used Flowroute's portal for a while would have it."""

    def fill_account(self, numbers: int) -> None:
        """Forget everything, then put ``numbers`` local numbers on the account.

        Each has an alias (``Line 00001``...), a primary route (the three demo routes in turn)
        and every other one a failover; every fifth an E911 address, every seventh the approved
        caller name, every fourth CNAM lookups. One SMS webhook is set.
        """
        # Local numbers per inventory scale, with a quarter to spare for purchases afterwards.
        scale = math.ceil(numbers * 1.25 / (len(STANDARD_AREAS) * NUMBERS_PER_AREA))
        self.reset(inventory_scale=scale)
        with self._transaction() as db:
            routes = []
            for route_type, value, alias in DEMO_ROUTES:
                cursor = db.execute(
                    "INSERT INTO routes (route_type, value, alias) VALUES (?, ?, ?)",
                    (route_type, value, alias),
                )
                routes.append(str(cursor.lastrowid))
            addresses = []
            for fields in DEMO_ADDRESSES:
                cursor = db.execute(
                    "INSERT INTO e911s (label, first_name, last_name, street_number, "
                    "street_name, address_type, address_type_number, city, state, zip, country) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'US')",
                    fields,
                )
                addresses.append(cursor.lastrowid)
            cursor = db.execute(
                "INSERT INTO cnams (value, is_approved, creation_datetime, approval_datetime) "
                "VALUES (?, 1, ?, ?)",
                (DEMO_CALLER_NAME, timestamp(), timestamp()),
            )
            caller_name = cursor.lastrowid
            db.execute("INSERT INTO account_callbacks VALUES ('sms_callback', ?)", (DEMO_WEBHOOK,))
            chosen = [
                row[0]
                for row in db.execute(
                    "SELECT value FROM inventory WHERE number_type = 'standard' ORDER BY value "
                    "LIMIT ?",
                    (numbers,),
                )
            ]
            if len(chosen) < numbers:
                raise ValueError(f"the inventory holds {len(chosen)} local numbers, not {numbers}")
            for i, value in enumerate(chosen):
                db.execute(
                    "INSERT INTO numbers (value, number_type, rate_center, state, setup_cost, "
                    "monthly_cost, alias, cnam_lookups_enabled, primary_route_id, "
                    "failover_route_id) SELECT value, number_type, rate_center, state, "
                    "setup_cost, monthly_cost, ?, ?, ?, ? FROM inventory WHERE value = ?",
                    (
                        f"Line {i + 1:05d}",
                        int(i % 4 == 0),
                        routes[i % len(routes)],
                        routes[1] if i % 2 else None,
                        value,
                    ),
                )
                if i % 5 == 0:
                    db.execute(
                        "INSERT INTO e911_numbers (number, e911_id) VALUES (?, ?)",
                        (value, addresses[(i // 5) % len(addresses)]),
                    )
                if i % 7 == 0:
                    db.execute(
                        "INSERT INTO cnam_numbers VALUES (?, ?, ?)",
                        (value, record_key(str(caller_name)), timestamp()),
                    )
            db.executemany("DELETE FROM inventory WHERE value = ?", [(value,) for value in chosen])
