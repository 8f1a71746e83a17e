"""JSON Schemas derived from signatures and docstrings, for every supported type."""

import dataclasses
import datetime as dt
import decimal
import enum
import uuid
from typing import Annotated, Any, Literal, NamedTuple, Optional, TypedDict

import msgspec
import pytest

from mxp_agents.primitives import ToolDefinition
from mxp_agents.tools import ToolContext, tool


class Color(enum.Enum):
    """A primary color."""

    RED = "red"
    GREEN = "green"


class Point(msgspec.Struct):
    """A point on the plane."""

    x: int
    y: int = 0


class Line(msgspec.Struct, forbid_unknown_fields=True):
    start: Point
    end: Point


class Tree(msgspec.Struct):
    value: int
    children: "list[Tree]" = []


@dataclasses.dataclass
class Size:
    width: float
    height: float = 1.0


class Options(TypedDict):
    verbose: bool


class Pair(NamedTuple):
    left: str
    right: str


def schema_of(annotation: Any) -> dict[str, Any]:
    """The property schema of a one-parameter tool's parameter ``value``."""

    def one(value):
        return value

    one.__annotations__ = {"value": annotation, "return": None}
    return tool(one).schema["properties"]["value"]


def test_exact_schema_of_a_simple_tool() -> None:
    @tool
    def add(a: int, b: float = 1.5, label: str | None = None) -> float:
        """Add two numbers.

        Args:
            a: The first number.
            b: The second number.
            label: An optional label.
        """
        return a + b

    assert add.schema == {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "description": "The first number."},
            "b": {"type": "number", "default": 1.5, "description": "The second number."},
            "label": {
                "anyOf": [{"type": "string"}, {"type": "null"}],
                "default": None,
                "description": "An optional label.",
            },
        },
        "required": ["a"],
        "additionalProperties": False,
    }
    assert add.definition == ToolDefinition(
        name="add", description="Add two numbers.", parameters=add.schema
    )


def test_exact_schema_with_nested_structs_is_inlined() -> None:
    @tool
    def draw(line: Line, color: Color = Color.RED) -> None:
        """Draw a line."""

    assert draw.schema == {
        "type": "object",
        "properties": {
            "line": {
                "title": "Line",
                "type": "object",
                "properties": {
                    "start": {
                        "title": "Point",
                        "description": "A point on the plane.",
                        "type": "object",
                        "properties": {
                            "x": {"type": "integer"},
                            "y": {"type": "integer", "default": 0},
                        },
                        "required": ["x"],
                    },
                    "end": {
                        "title": "Point",
                        "description": "A point on the plane.",
                        "type": "object",
                        "properties": {
                            "x": {"type": "integer"},
                            "y": {"type": "integer", "default": 0},
                        },
                        "required": ["x"],
                    },
                },
                "required": ["start", "end"],
                "additionalProperties": False,
            },
            "color": {
                "title": "Color",
                "description": "A primary color.",
                "enum": ["green", "red"],
                "default": "red",
            },
        },
        "required": ["line"],
        "additionalProperties": False,
    }
    assert "$defs" not in draw.schema
    assert "$ref" not in repr(draw.schema)


def test_recursive_struct_keeps_only_its_own_definition() -> None:
    @tool
    def walk(tree: Tree) -> int:
        return tree.value

    schema = walk.schema
    assert schema["type"] == "object"
    assert schema["properties"]["tree"]["properties"]["children"]["items"] == {
        "$ref": "#/$defs/Tree"
    }
    assert set(schema["$defs"]) == {"Tree"}
    assert schema["$defs"]["Tree"]["properties"]["value"] == {"type": "integer"}


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, {"type": "string"}),
        (int, {"type": "integer"}),
        (float, {"type": "number"}),
        (bool, {"type": "boolean"}),
        (type(None), {"type": "null"}),
        (Optional[int], {"anyOf": [{"type": "integer"}, {"type": "null"}]}),  # noqa: UP045
        (int | None, {"anyOf": [{"type": "integer"}, {"type": "null"}]}),
        (Literal["asc", "desc"], {"enum": ["asc", "desc"]}),
        (list[str], {"type": "array", "items": {"type": "string"}}),
        (
            tuple[int, str],
            {
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
                "prefixItems": [{"type": "integer"}, {"type": "string"}],
                "items": False,
            },
        ),
        (tuple[int, ...], {"type": "array", "items": {"type": "integer"}}),
        (set[int], {"type": "array", "items": {"type": "integer"}, "uniqueItems": True}),
        (frozenset[str], {"type": "array", "items": {"type": "string"}, "uniqueItems": True}),
        (dict[str, int], {"type": "object", "additionalProperties": {"type": "integer"}}),
        (dict[str, Any], {"type": "object"}),
        (Any, {}),
        (uuid.UUID, {"type": "string", "format": "uuid"}),
        (dt.datetime, {"type": "string"}),
        (
            Annotated[dt.datetime, msgspec.Meta(tz=True)],
            {"type": "string", "format": "date-time"},
        ),
        (dt.date, {"type": "string", "format": "date"}),
        (dt.timedelta, {"type": "string", "format": "duration"}),
        (decimal.Decimal, {"type": "string", "format": "decimal"}),
        (
            Annotated[int, msgspec.Meta(ge=1, le=10, description="How many.")],
            {"type": "integer", "minimum": 1, "maximum": 10, "description": "How many."},
        ),
        (
            Annotated[str, msgspec.Meta(min_length=1, pattern="^[a-z]+$")],
            {"type": "string", "minLength": 1, "pattern": "^[a-z]+$"},
        ),
    ],
)
def test_schema_of_each_supported_type(annotation, expected) -> None:
    assert schema_of(annotation) == expected


def test_schema_of_an_enum() -> None:
    assert schema_of(Color) == {
        "title": "Color",
        "description": "A primary color.",
        "enum": ["green", "red"],
    }


def test_schema_of_a_dataclass_typeddict_and_namedtuple() -> None:
    assert schema_of(Size) == {
        "title": "Size",
        "type": "object",
        "properties": {"width": {"type": "number"}, "height": {"type": "number", "default": 1.0}},
        "required": ["width"],
    }
    assert schema_of(Options) == {
        "title": "Options",
        "type": "object",
        "properties": {"verbose": {"type": "boolean"}},
        "required": ["verbose"],
    }
    assert schema_of(Pair)["type"] == "array"


def test_schema_of_a_list_of_structs() -> None:
    assert schema_of(list[Point])["items"]["properties"]["x"] == {"type": "integer"}


def test_defaults_make_parameters_optional_and_are_shown() -> None:
    @tool
    def search(query: str, limit: int = 10, tags: list[str] = [], sort: str = "rank") -> None:
        pass

    assert search.schema["required"] == ["query"]
    properties = search.schema["properties"]
    assert properties["limit"]["default"] == 10
    assert properties["tags"]["default"] == []
    assert properties["sort"]["default"] == "rank"


def test_non_empty_mutable_default_is_shown_and_copied_per_call() -> None:
    @tool
    def collect(items: list[int] = [1, 2]) -> list[int]:
        items.append(3)
        return items

    assert collect.schema["properties"]["items"]["default"] == [1, 2]
    first = collect.validate({})
    second = collect.validate({})
    assert first.items == [1, 2]  # type: ignore[attr-defined]
    assert first.items is not second.items  # type: ignore[attr-defined]


def test_context_parameter_is_not_in_the_schema() -> None:
    @tool
    def whoami(ctx: ToolContext, greeting: str = "hi") -> str:
        """Say who is calling.

        Args:
            ctx: The call's context.
            greeting: How to greet.
        """
        return f"{greeting} {ctx.agent_id}"

    assert list(whoami.schema["properties"]) == ["greeting"]
    assert whoami.schema["required"] == []


def test_optional_context_parameter_is_recognised() -> None:
    @tool
    def maybe(x: int, context: ToolContext | None = None) -> int:
        return x

    assert list(maybe.schema["properties"]) == ["x"]


def test_meta_description_wins_over_the_docstring() -> None:
    @tool
    def pick(n: Annotated[int, msgspec.Meta(description="From Meta.")]) -> int:
        """Pick.

        Args:
            n: From the docstring.
        """
        return n

    assert pick.schema["properties"]["n"]["description"] == "From Meta."


def test_name_description_and_version_options() -> None:
    @tool(name="web-search", version="2.1.0", description="Search the web.")
    async def search(query: str) -> list[str]:
        """Ignored docstring."""
        return [query]

    assert search.name == "web-search"
    assert search.version == "2.1.0"
    assert search.key == "web-search@2.1.0"
    assert search.description == "Search the web."
    assert search.definition.name == "web-search"
    assert search.definition.description == "Search the web."


def test_description_from_the_docstring_with_returns() -> None:
    @tool
    def area(width: float, height: float) -> float:
        """Compute the area of a rectangle.

        Both sides in metres.

        Args:
            width: Width.
            height: Height.

        Returns:
            The area in square metres.

        Raises:
            ValueError: never.
        """
        return width * height

    assert area.description == (
        "Compute the area of a rectangle.\n\nBoth sides in metres.\n\n"
        "Returns: The area in square metres."
    )


def test_no_docstring_gives_an_empty_description() -> None:
    @tool
    def bare(x: int) -> int:
        return x

    assert bare.description == ""
    assert bare.definition.description == ""


def test_tool_without_parameters_has_an_empty_object_schema() -> None:
    @tool
    def now() -> str:
        return "noon"

    assert now.schema == {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }
