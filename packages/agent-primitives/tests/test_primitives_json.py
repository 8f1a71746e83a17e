import msgspec
import pytest

from mxp_agents.primitives import (
    DecodeError,
    InvalidCapability,
    InvalidValue,
    Usage,
    from_json,
    to_json,
    validation_error_parts,
)


class Point(msgspec.Struct):
    x: int
    y: int = 0


class Checked(msgspec.Struct):
    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("value must be `>= 0`")


def test_to_json_is_compact():
    assert to_json([Point(1, 2)]) == b'[{"x":1,"y":2}]'


def test_from_json_accepts_bytes_and_text():
    assert from_json(b'{"x": 1}', Point) == Point(1)
    assert from_json('{"x": 1}', Point) == Point(1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"x": "1"}', "expected int, got str - at $.x"),
        (b'{"y": 1}', "object missing required field 'x' - at $"),
        (b"[1]", "expected object, got array - at $"),
        (b'{"x": 1', "invalid JSON: input data was truncated"),
        (b"nope", "invalid JSON: JSON is malformed: invalid character (byte 4)"),
    ],
)
def test_from_json_errors_use_the_sdk_format(data, message):
    with pytest.raises(DecodeError) as caught:
        from_json(data, Point)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_from_json_keeps_the_text_of_other_post_init_errors():
    with pytest.raises(DecodeError) as caught:
        from_json(b'[{"value": 1}, {"value": -1}]', list[Checked])
    assert str(caught.value) == "value must be `>= 0` - at $[1]"


def test_from_json_reroots_primitives_errors():
    data = b'{"a": [{"id":"a","name":"A","version":"1","scopes":[""]}]}'
    from mxp_agents.primitives import Capability

    with pytest.raises(InvalidCapability) as caught:
        from_json(data, dict[str, list[Capability]])
    assert caught.value.path == "$[...][0].scopes[0]"
    assert caught.value.reason == "scope cannot be empty"


def test_validation_error_parts():
    with pytest.raises(msgspec.ValidationError) as caught:
        msgspec.convert({"x": 1, "y": "no"}, Point)
    assert validation_error_parts(caught.value) == ("expected int, got str", "$.y")
    with pytest.raises(msgspec.ValidationError) as caught:
        msgspec.convert(3, Point)
    assert validation_error_parts(caught.value) == ("expected object, got int", "$")
    with pytest.raises(msgspec.ValidationError) as caught:
        msgspec.convert({"value": -1}, Checked)
    assert validation_error_parts(caught.value) == ("value must be `>= 0`", "$")


def test_decoders_are_reused():
    assert from_json(b"{}", Usage) == from_json(b"{}", Usage)


def test_invalid_value_base_is_exported():
    assert issubclass(DecodeError, InvalidValue)
