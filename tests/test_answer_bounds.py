"""Property tests of the bounds every answer is read within (records.load and the client).

Whatever a document within the bounds holds, it reads back as it was written; past a bound
(nesting, an integer's digits, a number that is not finite) it is refused, exactly at the bound;
and no body at all, of any bytes, makes the client raise anything but its one-line errors.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
import responses
from hypothesis import event, given, settings
from hypothesis import strategies as st

from pulumi_flowroute import FlowrouteClient, MalformedResponse, RetryPolicy
from pulumi_flowroute.errors import ApiError, FlowrouteError
from pulumi_flowroute.records import (
    MAX_INTEGER_DIGITS,
    MAX_NESTING,
    MAX_TEXT,
    UnexpectedDocument,
    load,
)
from tests.support.audit import ACCESS_KEY, SECRET_KEY

NUMBER = "12065551234"
DETAILS = f"https://api.flowroute.com/v2/numbers/{NUMBER}"
LARGEST = 10**MAX_INTEGER_DIGITS - 1
T = TypeVar("T")
EXAMPLES = settings(max_examples=150, deadline=None)


def depth(value: Any) -> int:
    """How deep ``value`` nests: 0 for a scalar, 1 for a list of scalars."""
    if isinstance(value, list):
        return 1 + max((depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(item) for item in value.values()), default=0)
    return 0


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-LARGEST, LARGEST)
    | st.floats(allow_nan=False, allow_infinity=False)
    # Brackets and quotes in strings nest nothing.
    | st.text(alphabet=st.sampled_from('[]{}"\\,: ab\u202e\x1b\n'), max_size=12)
    | st.text(max_size=12)
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=24,
)


@EXAMPLES
@given(document=DOCUMENTS, ascii_only=st.booleans())
def test_a_document_within_the_bounds_reads_back_as_written(
    document: Any, ascii_only: bool
) -> None:
    if depth(document) > MAX_NESTING:
        return
    body = json.dumps(document, ensure_ascii=ascii_only).encode()
    assert load(body) == document


def nested(kinds: list[bool], core: str) -> str:
    """``core`` inside one container per kind (True: a list, False: an object), each with a
    string member full of brackets beside it."""
    text = core
    for is_list in kinds:
        noise = json.dumps("[[{{" * 10)
        text = f"[{noise}, {text}]" if is_list else f'{{"s": {noise}, "v": {text}}}'
    return text


@EXAMPLES
@given(kinds=st.lists(st.booleans(), min_size=0, max_size=2 * MAX_NESTING))
def test_nesting_is_refused_exactly_past_its_bound(kinds: list[bool]) -> None:
    body = nested(kinds, "1").encode()
    if len(kinds) <= MAX_NESTING:
        assert depth(load(body)) == len(kinds)
    else:
        with pytest.raises(UnexpectedDocument, match=f"nested deeper than {MAX_NESTING} levels"):
            load(body)


@EXAMPLES
@given(digits=st.integers(1, 3 * MAX_INTEGER_DIGITS), negative=st.booleans())
def test_an_integer_is_read_up_to_its_digits_bound(digits: int, negative: bool) -> None:
    text = ("-" if negative else "") + "9" * digits
    if digits <= MAX_INTEGER_DIGITS:
        assert load(f"[{text}]".encode()) == [int(text)]
    else:
        with pytest.raises(UnexpectedDocument, match=f"an integer of {digits} digits"):
            load(f"[{text}]".encode())


@EXAMPLES
@given(number=st.floats() | st.builds("{}e{}".format, st.integers(-9, 9), st.integers(-999, 999)))
def test_only_finite_numbers_are_read(number: float | str) -> None:
    # json.dumps writes an infinite float as Infinity and a NaN as NaN: not JSON numbers.
    text = number if isinstance(number, str) else json.dumps(number)
    finite = math.isfinite(float(text))
    if finite:
        [read] = load(f"[{text}]".encode())
        assert read == float(text)
    else:
        with pytest.raises(UnexpectedDocument):
            load(f"[{text}]".encode())


JSONISH = st.text(alphabet=st.sampled_from('[]{}",:0123456789eE.-+ \\tnulfasNIy\x00'), max_size=80)


@EXAMPLES
@given(body=st.binary(max_size=200) | JSONISH.map(str.encode))
def test_any_body_is_read_or_refused_as_not_usable(body: bytes) -> None:
    # Not JSON, or past a bound (UnexpectedDocument): never a RecursionError, an OverflowError.
    with contextlib.suppress(ValueError):
        load(body)


def client() -> FlowrouteClient:
    return FlowrouteClient(ACCESS_KEY, SECRET_KEY, retry=RetryPolicy(attempts=1))


def one_bounded_line(error: Exception) -> str:
    text = str(error)
    assert "\n" not in text
    assert len(text) < 600, text
    return text


def outcome(call: Callable[[], T]) -> T | FlowrouteError:
    """What ``call`` returns, or the error of ours it raises; anything else fails the test."""
    try:
        return call()
    except FlowrouteError as error:
        return error


NUMBER_ATTRIBUTES = st.dictionaries(
    st.sampled_from(["value", "alias", "rate_center", "state", "number_type"]),
    SCALARS | st.text(min_size=MAX_TEXT - 2, max_size=MAX_TEXT + 2) | DOCUMENTS,
)


@EXAMPLES
@given(exact=st.booleans(), identifier=SCALARS | DOCUMENTS, attributes=NUMBER_ATTRIBUTES)
def test_a_number_read_is_of_its_kinds_or_one_line_of_error(
    exact: bool, identifier: Any, attributes: dict[str, Any]
) -> None:
    body = {
        "data": {"type": "number", "id": NUMBER if exact else identifier, "attributes": attributes}
    }
    with responses.RequestsMock() as mocked:
        mocked.get(DETAILS, json=body)
        number = outcome(lambda: client().get_number(NUMBER))
    event("refused" if isinstance(number, FlowrouteError) else "read")
    if isinstance(number, FlowrouteError):
        assert isinstance(number, MalformedResponse)
        expected = f"GET /numbers/{NUMBER}: Flowroute answered 200 with "
        assert one_bounded_line(number).startswith(expected)
        return
    # Read: the asked number, its alias as given, no text longer than a record keeps.
    assert number.value == NUMBER
    alias = attributes.get("alias")
    assert number.alias == (None if alias is None else str(alias))
    for text in (number.alias, number.rate_center, number.state, number.number_type):
        assert text is None or len(text) <= MAX_TEXT


@EXAMPLES
@given(
    body=st.binary(max_size=300) | JSONISH.map(str.encode),
    status=st.sampled_from([200, 201, 400, 403, 503]),
)
def test_any_answer_to_a_purchase_is_a_number_or_one_line_of_error(
    body: bytes, status: int
) -> None:
    with responses.RequestsMock() as mocked:
        mocked.post(DETAILS, body=body, status=status)
        bought = outcome(lambda: client().purchase_number(NUMBER))
    if isinstance(bought, FlowrouteError):
        assert isinstance(bought, MalformedResponse if status < 300 else ApiError)
        one_bounded_line(bought)


@pytest.mark.parametrize("tail", [b"", b"\\", b'"'])
def test_a_body_of_escaped_quotes_is_read_once_not_once_per_quote(tail: bytes) -> None:
    # 100,000 escaped quotes in a string that may never close: read once per quote, this took
    # minutes; read once, a fraction of a second.
    body = b"[" * (MAX_NESTING + 1) + b'"' + b'\\"' * 100_000 + tail
    started = time.monotonic()
    with pytest.raises(ValueError, match=f"nested deeper than {MAX_NESTING}"):
        load(body)
    assert time.monotonic() - started < 5
