"""`MemoryRecord`: one thing an agent remembers, and `MemoryChannel`, where it came from."""

from __future__ import annotations

import enum
import math
import time
import uuid
from collections.abc import Mapping
from typing import Any, Final, cast

import msgspec

from mxp_agents.memory._errors import InvalidRecord
from mxp_agents.primitives import kind_of

__all__ = ["SENSITIVE", "MemoryChannel", "MemoryRecord"]

SENSITIVE: Final = "sensitive"
"""The tag that keeps a record inside the agent: the boundary gate never lets it leave."""

_json_encoder: Final = msgspec.json.Encoder()


class MemoryChannel(enum.StrEnum):
    """Where a record came from.

    ``INPUT``: from outside the agent (an inbound call, a task). ``OUTPUT``: produced by the
    agent (its answers). ``TOOL``: tool calls and their results. ``SYSTEM``: the runtime's own
    events (model responses, checkpoints). ``CUSTOM``: the application's, named by the record's
    ``label``.

    Example:
        >>> MemoryChannel("tool") is MemoryChannel.TOOL
        True
    """

    INPUT = "input"
    OUTPUT = "output"
    TOOL = "tool"
    SYSTEM = "system"
    CUSTOM = "custom"


class MemoryRecord(msgspec.Struct, frozen=True):
    """One remembered item: what (``payload``), where from (``channel``), when, for which run.

    ``payload`` is any msgspec-encodable value (str, bytes, numbers, lists, dicts, Structs);
    ``tags`` and ``metadata`` are for filtering; ``embedding`` is the vector recall uses;
    ``run_id`` and ``step`` place the record in a run of the agent loop; ``label`` names a
    ``CUSTOM`` channel (required there, refused elsewhere). ``id`` (a random UUID) and
    ``timestamp`` (Unix seconds, now) are filled in unless given. Blank tags, a blank label, a
    negative step and a non-finite embedding are refused with `InvalidRecord` naming the path,
    both when building a record and when decoding one.

    Example:
        >>> record = MemoryRecord(MemoryChannel.INPUT, "What is 2 + 3?", tags=("math",))
        >>> record.channel, record.text()
        (<MemoryChannel.INPUT: 'input'>, 'What is 2 + 3?')
        >>> MemoryRecord(MemoryChannel.INPUT, "x", tags=(" ",))
        Traceback (most recent call last):
        ...
        mxp_agents.memory._errors.InvalidRecord: tag must not be blank - at $.tags[0]
    """

    channel: MemoryChannel
    payload: Any
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = msgspec.field(default_factory=dict[str, Any])
    embedding: tuple[float, ...] | None = None
    run_id: str | None = None
    step: int | None = None
    label: str | None = None
    agent_id: str | None = None
    id: uuid.UUID = msgspec.field(default_factory=uuid.uuid4)
    timestamp: float = msgspec.field(default_factory=time.time)

    def __post_init__(self) -> None:
        set_ = msgspec.structs.force_setattr
        channel: object = self.channel
        if not isinstance(channel, MemoryChannel):  # pyright: ignore[reportUnnecessaryIsInstance]
            try:
                set_(self, "channel", MemoryChannel(channel))
            except ValueError:
                choices = ", ".join(repr(c.value) for c in MemoryChannel)
                raise InvalidRecord(
                    f"channel must be one of {choices}, got {channel!r}", "$.channel"
                ) from None
        _check_label(self.channel, self.label)
        tags: object = self.tags
        if not isinstance(tags, tuple):  # pyright: ignore[reportUnnecessaryIsInstance]
            if isinstance(tags, str) or not isinstance(tags, list | set | frozenset):
                raise InvalidRecord(f"tags must be a tuple of str, got {kind_of(tags)}", "$.tags")
            set_(self, "tags", tags := tuple(tags))  # pyright: ignore[reportUnknownArgumentType]
        for index, tag in enumerate(self.tags):
            if not isinstance(tag, str):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise InvalidRecord(f"expected str, got {kind_of(tag)}", f"$.tags[{index}]")
            if not tag.strip():
                raise InvalidRecord("tag must not be blank", f"$.tags[{index}]")
        metadata: object = self.metadata
        if not isinstance(metadata, dict):  # pyright: ignore[reportUnnecessaryIsInstance]
            if not isinstance(metadata, Mapping):
                raise InvalidRecord(f"expected object, got {kind_of(metadata)}", "$.metadata")
            set_(self, "metadata", dict(metadata))  # pyright: ignore[reportUnknownArgumentType]
        for key in self.metadata:
            if not isinstance(key, str):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise InvalidRecord(f"metadata keys must be str, got {kind_of(key)}", "$.metadata")
        if self.embedding is not None:
            set_(self, "embedding", _embedding(self.embedding))
        _check_optional_text(self.run_id, "$.run_id", "run_id")
        _check_optional_text(self.agent_id, "$.agent_id", "agent_id")
        step: object = self.step
        if step is not None and (isinstance(step, bool) or not isinstance(step, int) or step < 0):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"step must be an int >= 0, got {step!r}", "$.step")
        record_id: object = self.id
        if not isinstance(record_id, uuid.UUID):  # pyright: ignore[reportUnnecessaryIsInstance]
            try:
                set_(self, "id", uuid.UUID(str(record_id)))
            except ValueError:
                raise InvalidRecord(f"id must be a UUID, got {record_id!r}", "$.id") from None
        stamp: object = self.timestamp
        if (
            isinstance(stamp, bool)
            or not isinstance(stamp, int | float)  # pyright: ignore[reportUnnecessaryIsInstance]
            or not math.isfinite(stamp)
            or stamp < 0
        ):
            raise InvalidRecord(
                f"timestamp must be finite Unix seconds >= 0, got {stamp!r}", "$.timestamp"
            )

    @property
    def sensitive(self) -> bool:
        """True when the record is tagged ``"sensitive"`` (it never leaves the agent).

        Example:
            >>> MemoryRecord(MemoryChannel.INPUT, "pin 1234", tags=("sensitive",)).sensitive
            True
        """
        return SENSITIVE in self.tags

    def text(self) -> str:
        """The record as text, for embedding: a str payload as is, its ``"text"`` key or
        attribute when that is a str, UTF-8 bytes decoded, anything else as compact JSON.

        Example:
            >>> MemoryRecord(MemoryChannel.TOOL, {"n": 1}).text()
            '{"n":1}'
        """
        payload = self.payload
        if isinstance(payload, str):
            return payload
        if isinstance(payload, dict):
            text: object = cast("dict[str, object]", payload).get("text")
            if isinstance(text, str):
                return text
        if isinstance(payload, msgspec.Struct):
            text = getattr(payload, "text", None)
            if isinstance(text, str):
                return text
        if isinstance(payload, bytes | bytearray | memoryview):
            return bytes(payload).decode("utf-8", "replace")  # pyright: ignore[reportUnknownArgumentType]
        return _json_encoder.encode(payload).decode("utf-8")


def _check_label(channel: MemoryChannel, label: object) -> None:
    if channel is MemoryChannel.CUSTOM:
        if label is None:
            raise InvalidRecord("a custom channel needs a label", "$.label")
        if not isinstance(label, str):
            raise InvalidRecord(f"expected str, got {kind_of(label)}", "$.label")
        if not label.strip():
            raise InvalidRecord("custom channel label must not be blank", "$.label")
    elif label is not None:
        raise InvalidRecord(
            f"only the custom channel takes a label (channel is {channel.value!r})", "$.label"
        )


def _check_optional_text(value: object, path: str, what: str) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise InvalidRecord(f"expected str, got {kind_of(value)}", path)
    if not value.strip():
        raise InvalidRecord(f"{what} must not be blank", path)


def _embedding(vector: object) -> tuple[float, ...]:
    if isinstance(vector, str | bytes) or not hasattr(vector, "__iter__"):
        raise InvalidRecord(f"embedding must be a sequence of floats, got {kind_of(vector)}",
                            "$.embedding")  # fmt: skip
    values: list[float] = []
    for index, value in enumerate(vector):  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType, reportArgumentType]
        try:
            number = float(value)  # pyright: ignore[reportUnknownArgumentType]
        except (TypeError, ValueError):
            raise InvalidRecord(
                f"expected float, got {kind_of(value)}",  # pyright: ignore[reportUnknownArgumentType]
                f"$.embedding[{index}]",
            ) from None
        if isinstance(value, bool) or not math.isfinite(number):
            raise InvalidRecord(f"expected a finite float, got {value!r}", f"$.embedding[{index}]")
        values.append(number)
    if not values:
        raise InvalidRecord("embedding must not be empty", "$.embedding")
    return tuple(values)
