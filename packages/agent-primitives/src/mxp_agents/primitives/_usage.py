"""`Usage`: token counts of model calls, which add up across calls."""

import msgspec

from mxp_agents.primitives._checks import kind_of
from mxp_agents.primitives._errors import InvalidMessage

__all__ = ["Usage"]


class Usage(msgspec.Struct, frozen=True, kw_only=True):
    """Tokens used by one or more model calls; ``+`` (and `sum`) add them field by field.

    ``cached_input_tokens`` is the part of ``input_tokens`` served from a prompt cache and
    ``reasoning_tokens`` the part of ``output_tokens`` spent on hidden reasoning, as providers
    report them. Every count is an int >= 0, else `InvalidMessage`.

    Example:
        >>> total = sum([Usage(input_tokens=10, output_tokens=2), Usage(input_tokens=5)], Usage())
        >>> total.input_tokens, total.total
        (15, 17)
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value: object = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidMessage(f"expected int, got {kind_of(value)}", f"$.{name}")
            if value < 0:
                raise InvalidMessage(f"token count cannot be negative (got {value})", f"$.{name}")

    @property
    def total(self) -> int:
        """Input plus output tokens.

        Example:
            >>> Usage(input_tokens=3, output_tokens=4).total
            7
        """
        return self.input_tokens + self.output_tokens

    def __add__(self, other: "Usage") -> "Usage":
        if not isinstance(other, Usage):  # pyright: ignore[reportUnnecessaryIsInstance]
            return NotImplemented
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cached_input_tokens=self.cached_input_tokens + other.cached_input_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
        )

    def __radd__(self, other: int) -> "Usage":
        # Lets the builtin ``sum(usages)`` start from 0.
        if other == 0:
            return self
        return NotImplemented
