"""Deterministic purchasable inventory for the emulator.

The same seed always yields the same numbers, so tests and the dev stack can name numbers that
exist. Rate centres are Flowroute-style lower-case abbreviations.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# (area code, state, rate centres)
STANDARD_AREAS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("206", "wa", ("seattle", "seattle03")),
    ("253", "wa", ("tacoma", "puyallup")),
    ("425", "wa", ("bellevue", "everett", "redmond")),
    ("360", "wa", ("olympia", "bellingham")),
    ("503", "or", ("portland", "salem")),
    ("541", "or", ("eugene", "bend")),
    ("415", "ca", ("snfc cntrl", "sanrafael")),
    ("650", "ca", ("millbrae", "paloalto")),
    ("408", "ca", ("sanjose", "sunnyvale")),
    ("213", "ca", ("losangeles",)),
    ("212", "ny", ("nwyrcyzn01",)),
    ("646", "ny", ("nwyrcyzn01", "nwyrcyzn03")),
    ("718", "ny", ("nwyrcyzn05", "nwyrcyzn04")),
    ("312", "il", ("chicago",)),
    ("773", "il", ("chicago", "evanston")),
    ("512", "tx", ("austin",)),
    ("214", "tx", ("dallas",)),
    ("713", "tx", ("houston",)),
    ("303", "co", ("denver", "boulder")),
    ("720", "co", ("denver",)),
    ("617", "ma", ("boston", "cambridge")),
    ("305", "fl", ("miami",)),
    ("404", "ga", ("atlanta",)),
)
TOLL_FREE_PREFIXES = ("800", "833", "844", "855", "866", "877", "888")
NUMBERS_PER_AREA = 90
NUMBERS_PER_TOLL_FREE_PREFIX = 30
DEFAULT_SEED = 2018
# Numbers the README and design examples use, so they work against every seed.
DOCUMENTED_NUMBERS = (("12065551234", "seattle"), ("14255550142", "bellevue"))

# Flowroute's published prices cluster around these values (USD).
STANDARD_PRICES = ((1.0, 1.25), (1.0, 1.25), (1.0, 1.35), (0.0, 1.25), (2.5, 1.75))
TOLL_FREE_PRICES = ((1.0, 2.0), (1.0, 2.5), (5.0, 2.0))


@dataclass(frozen=True)
class InventoryItem:
    value: str
    number_type: str
    rate_center: str | None
    state: str | None
    setup_cost: float
    monthly_cost: float


def _subscriber(rng: random.Random) -> str:
    # NANP exchanges start 2-9 and avoid N11 codes.
    while True:
        exchange = f"{rng.randint(200, 999)}"
        if exchange[1:] != "11":
            return exchange + f"{rng.randint(0, 9999):04d}"


def _fill(
    rng: random.Random,
    items: dict[str, InventoryItem],
    prefix: str,
    count: int,
    number_type: str,
    centres: tuple[str, ...],
    state: str | None,
    prices: tuple[tuple[float, float], ...],
) -> None:
    added = 0
    while added < count:
        value = "1" + prefix + _subscriber(rng)
        if value in items:
            continue
        setup, monthly = rng.choice(prices)
        centre = rng.choice(centres) if centres else None
        items[value] = InventoryItem(value, number_type, centre, state, setup, monthly)
        added += 1


def generate(seed: int = DEFAULT_SEED, scale: int = 1) -> list[InventoryItem]:
    """The full inventory for ``seed``, sorted by number; ``scale`` multiplies every area."""
    rng = random.Random(seed)
    items: dict[str, InventoryItem] = {}
    for area, state, centres in STANDARD_AREAS:
        count = NUMBERS_PER_AREA * scale
        _fill(rng, items, area, count, "standard", centres, state, STANDARD_PRICES)
    for value, centre in DOCUMENTED_NUMBERS:
        items[value] = InventoryItem(value, "standard", centre, "wa", 1.0, 1.25)
    for prefix in TOLL_FREE_PREFIXES:
        count = NUMBERS_PER_TOLL_FREE_PREFIX * scale
        _fill(rng, items, prefix, count, "tollfree", (), None, TOLL_FREE_PRICES)
    return sorted(items.values(), key=lambda item: item.value)
