"""Argument validation: JSON-ish strictness and path-annotated error messages."""

import datetime as dt
import enum
import uuid
from typing import Annotated, Any, Literal

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mxp_agents.tools import ToolArgumentsError, tool


class Kind(enum.Enum):
    A = "a"
    B = "b"


class Item(msgspec.Struct, forbid_unknown_fields=True):
    x: int
    label: str = ""


class Order(msgspec.Struct):
    items: list[Item]
    note: str | None = None


@tool
def place(
    order: Order,
    quantity: Annotated[int, msgspec.Meta(ge=1)] = 1,
    ratio: float = 1.0,
    kind: Kind = Kind.A,
    mode: Literal["fast", "safe"] = "safe",
    when: dt.datetime | None = None,
    ref: uuid.UUID | None = None,
    pair: tuple[int, str] = (0, ""),
    tags: set[str] = set(),
    extra: dict[str, Any] = {},
) -> str:
    return "ok"


def error_of(arguments: dict[str, Any]) -> ToolArgumentsError:
    with pytest.raises(ToolArgumentsError) as info:
        place.validate(arguments)
    return info.value


ORDER = {"items": [{"x": 1}]}


@pytest.mark.parametrize(
    ("arguments", "message", "path"),
    [
        (
            {"order": {"items": [{"x": "1"}]}},
            "expected int, got str - at $.order.items[0].x",
            "$.order.items[0].x",
        ),
        (
            {"order": {"items": [{"x": 1}, {"x": 2}, {"x": 2.5}]}},
            "expected int, got float - at $.order.items[2].x",
            "$.order.items[2].x",
        ),
        ({"order": ORDER, "quantity": "2"}, "expected int, got str - at $.quantity", "$.quantity"),
        (
            {"order": ORDER, "quantity": True},
            "expected int, got bool - at $.quantity",
            "$.quantity",
        ),
        ({"order": ORDER, "quantity": 0}, "expected int >= 1 - at $.quantity", "$.quantity"),
        ({"order": ORDER, "bogus": 1}, "unknown argument 'bogus' - at $.bogus", "$.bogus"),
        (
            {"order": {"items": [{"x": 1, "y": 2}]}},
            "unknown field 'y' - at $.order.items[0].y",
            "$.order.items[0].y",
        ),
        ({}, "missing required argument 'order'", None),
        (
            {"order": {"items": [{}]}},
            "missing required field 'x' - at $.order.items[0]",
            "$.order.items[0]",
        ),
        ({"order": ORDER, "mode": "slow"}, "invalid enum value 'slow' - at $.mode", "$.mode"),
        ({"order": ORDER, "kind": "c"}, "invalid enum value 'c' - at $.kind", "$.kind"),
        (
            {"order": ORDER, "when": "yesterday"},
            "invalid RFC3339 encoded datetime - at $.when",
            "$.when",
        ),
        ({"order": ORDER, "pair": [1]}, "expected array of length 2, got 1 - at $.pair", "$.pair"),
        ({"order": []}, "expected object, got array - at $.order", "$.order"),
    ],
)
def test_error_messages_with_paths(arguments, message, path) -> None:
    error = error_of(arguments)
    assert str(error) == message
    assert error.path == path


def test_arguments_that_are_not_an_object() -> None:
    with pytest.raises(ToolArgumentsError, match=r"^expected object, got array$"):
        place.validate([1, 2])  # type: ignore[arg-type]


def test_json_ish_conversions_are_accepted() -> None:
    args = place.validate(
        {
            "order": ORDER,
            "ratio": 2,
            "kind": "b",
            "when": "2025-01-02T03:04:05Z",
            "ref": "6f9619ff-8b86-d011-b42d-00c04fc964ff",
            "pair": [3, "c"],
            "tags": ["x", "x"],
            "extra": {"k": [1, None]},
        }
    )
    assert args.ratio == 2.0  # type: ignore[attr-defined]
    assert args.kind is Kind.B  # type: ignore[attr-defined]
    assert args.when == dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)  # type: ignore[attr-defined]
    assert args.ref == uuid.UUID("6f9619ff-8b86-d011-b42d-00c04fc964ff")  # type: ignore[attr-defined]
    assert args.pair == (3, "c")  # type: ignore[attr-defined]
    assert args.tags == {"x"}  # type: ignore[attr-defined]
    assert args.order == Order(items=[Item(x=1)])  # type: ignore[attr-defined]


def test_defaults_fill_in() -> None:
    args = place.validate({"order": ORDER})
    assert args.quantity == 1  # type: ignore[attr-defined]
    assert args.mode == "safe"  # type: ignore[attr-defined]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=10,
)


@given(st.dictionaries(st.sampled_from(["order", "quantity", "kind", "x", "pair"]), json_values))
def test_any_json_either_validates_or_raises_tool_arguments_error(arguments) -> None:
    try:
        place.validate(arguments)
    except ToolArgumentsError as error:
        caught = error
    else:
        return
    assert str(caught)
    assert caught.path is None or caught.path.startswith("$")
