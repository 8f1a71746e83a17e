"""Structured output: the JSON Schema of an output type, and validating answers against it."""

from __future__ import annotations

from typing import Any, Final

import msgspec

from mxp_agents.adapters import ResponseFormat
from mxp_agents.kernel._errors import AgentConfigError
from mxp_agents.primitives import Message, validation_error_parts

__all__ = ["OutputSpec", "correction_message"]

_FENCE: Final = "```"
_MAX_NAME: Final = 64  # ResponseFormat names are 1-64 characters


class OutputSpec:
    """The output type of an agent: its `ResponseFormat` (built once) and its JSON decoder.

    Example:
        >>> class City(msgspec.Struct):
        ...     name: str
        >>> spec = OutputSpec(City)
        >>> spec.parse('{"name": 5}')
        (None, 'expected str, got int - at $.name')
    """

    __slots__ = ("_decoder", "format", "type")

    def __init__(self, output_type: Any) -> None:
        try:
            schema = msgspec.json.schema(output_type)
            decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(output_type)
        except (TypeError, ValueError) as error:
            raise AgentConfigError(
                f"output_type {output_type!r} is not a type msgspec can decode ({error}); "
                "use a msgspec.Struct, a dataclass, a TypedDict or a builtin type"
            ) from None
        name = getattr(output_type, "__name__", None)
        if not isinstance(name, str) or not name.isidentifier() or len(name) > _MAX_NAME:
            name = "output"
        self.type = output_type
        self.format = ResponseFormat(name, schema)
        self._decoder = decoder

    def parse(self, text: str) -> tuple[Any, str | None]:
        """``(value, None)`` for an answer that fits the type, else ``(None, error text)``.

        The error text is path-annotated (``expected int, got str - at $.population``). One
        surrounding Markdown code fence (```` ```json ... ``` ````) is tolerated.

        Example:
            >>> OutputSpec(list[int]).parse("[1, 2]")
            ([1, 2], None)
        """
        body = _unfenced(text)
        try:
            return self._decoder.decode(body), None
        except msgspec.ValidationError as error:
            reason, path = validation_error_parts(error)
            return None, f"{reason} - at {path}"
        except msgspec.DecodeError as error:
            if not body.strip():
                return None, "the answer is empty; a JSON value was expected"
            return None, f"the answer is not valid JSON ({error})"


def correction_message(error: str) -> Message:
    """The user message that sends an invalid structured answer back to the model.

    Example:
        >>> correction_message("expected int, got str - at $.n").content.startswith("Your answer")
        True
    """
    return Message.user(
        f"Your answer does not match the required JSON schema: {error}. "
        "Reply with only the corrected JSON value."
    )


def _unfenced(text: str) -> str:
    stripped = text.strip()
    if (
        stripped.startswith(_FENCE)
        and stripped.endswith(_FENCE)
        and len(stripped) > 2 * len(_FENCE)
    ):
        inner = stripped[3:-3]
        newline = inner.find("\n")
        return inner[newline + 1 :] if newline >= 0 else inner
    return text
