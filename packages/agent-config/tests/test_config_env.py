import datetime as dt
import enum
import pathlib
import uuid
from typing import Annotated, Literal

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mxp_agents.config import ConfigValueError, Secret, UnknownConfigKey, load_config


class Mode(enum.Enum):
    FAST = "fast"
    SAFE = "safe"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Endpoint(msgspec.Struct, forbid_unknown_fields=True):
    host: str
    port: int = 80


class Types(msgspec.Struct, frozen=True):
    text: str = ""
    count: int = 0
    positive: Annotated[int, msgspec.Meta(ge=1)] = 1
    ratio: float = 0.0
    flag: bool = False
    timeout: dt.timedelta = dt.timedelta(seconds=1)
    maybe_count: int | None = 5
    maybe_text: str | None = "x"
    maybe_timeout: dt.timedelta | None = None
    names: list[str] = []
    ports: tuple[int, ...] = ()
    tags: frozenset[str] = frozenset()
    labels: dict[str, int] = {}
    endpoint: Endpoint | None = None
    endpoints: list[Endpoint] = []
    mode: Mode = Mode.FAST
    level: Level = Level.LOW
    choice: Literal["a", "b"] = "a"
    path: pathlib.Path = pathlib.Path()
    when: dt.datetime | None = None
    day: dt.date | None = None
    ident: uuid.UUID | None = None
    token: Secret | None = None
    number: int | str = 0


class App(msgspec.Struct, frozen=True):
    types: Types = Types()


def load(**variables: str) -> Types:
    env = {f"MXP_AGENTS_TYPES__{name.upper()}": value for name, value in variables.items()}
    return load_config(App, env=env).types


def error_for(key: str, value: str) -> str:
    with pytest.raises(ConfigValueError) as caught:
        load(**{key: value})
    return str(caught.value)


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("text", "  spaced  ", "  spaced  "),
        ("text", "", ""),
        ("count", "42", 42),
        ("count", "-7", -7),
        ("count", " +3 ", 3),
        ("positive", "5", 5),
        ("ratio", "2.5", 2.5),
        ("ratio", "3", 3.0),
        ("ratio", "1e-3", 0.001),
        ("flag", "true", True),
        ("flag", "TRUE", True),
        ("flag", "1", True),
        ("flag", "yes", True),
        ("flag", "On", True),
        ("flag", "false", False),
        ("flag", "0", False),
        ("flag", "no", False),
        ("flag", "off", False),
        ("timeout", "1.5", dt.timedelta(seconds=1.5)),
        ("timeout", "30s", dt.timedelta(seconds=30)),
        ("timeout", "1h30m", dt.timedelta(minutes=90)),
        ("timeout", "250ms", dt.timedelta(milliseconds=250)),
        ("timeout", "PT2M", dt.timedelta(minutes=2)),
        ("maybe_count", "", None),
        ("maybe_count", "null", None),
        ("maybe_count", "None", None),
        ("maybe_count", "12", 12),
        ("maybe_text", "", ""),
        ("maybe_text", "none", "none"),
        ("maybe_timeout", "", None),
        ("maybe_timeout", "2s", dt.timedelta(seconds=2)),
        ("names", '["a", "b"]', ["a", "b"]),
        ("names", "[]", []),
        ("ports", "[80, 443]", (80, 443)),
        ("tags", '["x", "x", "y"]', frozenset({"x", "y"})),
        ("labels", '{"a": 1}', {"a": 1}),
        ("endpoint", '{"host": "h"}', Endpoint("h")),
        ("endpoint", "null", None),
        ("endpoints", '[{"host": "a", "port": 1}]', [Endpoint("a", 1)]),
        ("mode", "safe", Mode.SAFE),
        ("level", "2", Level.HIGH),
        ("choice", "b", "b"),
        ("path", "/srv/agents", pathlib.Path("/srv/agents")),
        ("when", "2025-01-02T03:04:05Z", dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)),
        ("day", "2025-01-02", dt.date(2025, 1, 2)),
        (
            "ident",
            "67e55044-10b1-426f-9247-bb680e5fe0c8",
            uuid.UUID("67e55044-10b1-426f-9247-bb680e5fe0c8"),
        ),
        ("token", "sk-123456", Secret("sk-123456")),
        ("number", "12", "12"),
    ],
)
def test_env_text_converts_by_field_type(key, text, expected):
    value = getattr(load(**{key: text}), key)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("key", "text", "reason"),
    [
        ("count", "x", "expected int, got str"),
        ("count", "1.5", "expected int, got str"),
        ("count", "", "expected int, got str"),
        ("positive", "0", "expected int >= 1"),
        ("ratio", "fast", "expected float, got str"),
        ("flag", "maybe", "expected bool, got str (use true/false, yes/no, on/off or 1/0)"),
        (
            "timeout",
            "soon",
            "expected duration, got str (use seconds or units such as 30s, 1m30s, 250ms, 2h, 1d, "
            "or PT30S)",
        ),
        ("maybe_count", "many", "expected int, got str"),
        (
            "names",
            "a,b",
            "expected JSON array, got str that is not valid JSON (JSON is malformed: ",
        ),
        ("labels", '{"a": "x"}', "expected int, got str"),
        ("mode", "slow", "invalid enum value 'slow'"),
        ("choice", "c", "invalid enum value 'c'"),
        ("when", "yesterday", "invalid RFC3339 encoded datetime"),
        ("ident", "nope", "invalid UUID"),
    ],
)
def test_env_text_that_cannot_convert_is_an_error_naming_variable_and_path(key, text, reason):
    variable = f"MXP_AGENTS_TYPES__{key.upper()}"
    message = error_for(key, text)
    assert message.startswith(reason)
    assert message.endswith(f" - at $.types.{key} (from env {variable})") or (
        f" - at $.types.{key}" in message and message.endswith(f"(from env {variable})")
    )


def test_the_documented_message_format():
    class Kernel(msgspec.Struct, frozen=True):
        max_concurrency: int = 8

    class Root(msgspec.Struct, frozen=True):
        kernel: Kernel = Kernel()

    with pytest.raises(ConfigValueError) as caught:
        load_config(Root, env={"MXP_AGENTS_KERNEL__MAX_CONCURRENCY": "eight"})
    assert str(caught.value) == (
        "expected int, got str - at $.kernel.max_concurrency "
        "(from env MXP_AGENTS_KERNEL__MAX_CONCURRENCY)"
    )


def test_errors_inside_json_values_name_the_inner_path():
    assert error_for("endpoints", '[{"host": "a"}, {"host": 1}]') == (
        "expected str, got int - at $.types.endpoints[1].host "
        "(from env MXP_AGENTS_TYPES__ENDPOINTS)"
    )
    assert error_for("endpoint", '{"host": "a", "hots": 1}') == (
        "object contains unknown field 'hots' - at $.types.endpoint "
        "(from env MXP_AGENTS_TYPES__ENDPOINT)"
    )


def test_names_are_case_insensitive():
    env = {"mxp_agents_types__count": "1", "Mxp_Agents_Types__Flag": "yes"}
    loaded = load_config(App, env=env).types
    assert (loaded.count, loaded.flag) == (1, True)


def test_the_same_key_from_two_variables_is_an_error():
    env = {"MXP_AGENTS_TYPES__COUNT": "1", "mxp_agents_types__count": "2"}
    with pytest.raises(ConfigValueError) as caught:
        load_config(App, env=env)
    assert str(caught.value) == (
        "set by two env variables, MXP_AGENTS_TYPES__COUNT and mxp_agents_types__count "
        "- at $.types.count (from env mxp_agents_types__count); keep one of them"
    )


@pytest.mark.parametrize(
    ("variable", "message"),
    [
        (
            "MXP_AGENTS_TYPES__COUNTS",
            "unknown key 'counts' - at $.types.counts (from env MXP_AGENTS_TYPES__COUNTS); "
            "did you mean MXP_AGENTS_TYPES__COUNT?",
        ),
        (
            "MXP_AGENTS_TYPE__COUNT",
            "unknown key 'type' - at $.type (from env MXP_AGENTS_TYPE__COUNT); "
            "did you mean MXP_AGENTS_TYPES?",
        ),
        (
            "MXP_AGENTS_ZZZ",
            "unknown key 'zzz' - at $.zzz (from env MXP_AGENTS_ZZZ); "
            "known keys here: MXP_AGENTS_TYPES",
        ),
        (
            "MXP_AGENTS_TYPES__COUNT__DEEP",
            "unknown key 'deep': 'count' is a value, not a section - at $.types.count.deep "
            "(from env MXP_AGENTS_TYPES__COUNT__DEEP)",
        ),
        (
            "MXP_AGENTS_TYPES____COUNT",
            "cannot map MXP_AGENTS_TYPES____COUNT to a key: it has an empty part "
            "(from env MXP_AGENTS_TYPES____COUNT); name variables MXP_AGENTS_<SECTION>__<KEY>, "
            "with '__' between keys",
        ),
        (
            "MXP_AGENTS_",
            "cannot map MXP_AGENTS_ to a key: it has an empty part (from env MXP_AGENTS_); "
            "name variables MXP_AGENTS_<SECTION>__<KEY>, with '__' between keys",
        ),
    ],
)
def test_variables_that_name_no_field_are_errors(variable, message):
    with pytest.raises(UnknownConfigKey) as caught:
        load_config(App, env={variable: "1"})
    assert str(caught.value) == message


def test_a_variable_naming_a_section_is_an_error():
    with pytest.raises(ConfigValueError) as caught:
        load_config(App, env={"MXP_AGENTS_TYPES": '{"count": 1}'})
    assert str(caught.value) == (
        "MXP_AGENTS_TYPES names a section, not a value - at $.types (from env MXP_AGENTS_TYPES); "
        "set its keys one by one, as MXP_AGENTS_TYPES__<KEY>"
    )


def test_variables_without_the_prefix_are_ignored():
    assert load_config(App, env={"PATH": "/bin", "MXP_AGENT_X": "1", "TYPES__COUNT": "x"}) == App()


@given(st.integers())
def test_any_int_round_trips_through_env_text(number):
    assert load(count=str(number)).count == number


@given(st.floats(allow_nan=False))
def test_any_float_round_trips_through_env_text(number):
    assert load(ratio=repr(number)).ratio == number


@given(st.lists(st.text()))
def test_any_list_of_text_round_trips_through_env_json(names):
    assert load(names=msgspec.json.encode(names).decode()).names == names
