"""`Usage` values from counts that are known to be valid, shared instead of rebuilt."""

from __future__ import annotations

from typing import Final

from mxp_agents.primitives import Usage

__all__ = ["usage_of"]

_CACHE_LIMIT: Final = 4096
_cache: dict[tuple[int, int, int, int], Usage] = {}


def usage_of(
    input_tokens: int, output_tokens: int, cached_input_tokens: int = 0, reasoning_tokens: int = 0
) -> Usage:
    """The `Usage` of these counts (ints >= 0), reused for repeated counts.

    Building a `Usage` validates every field; fakes and the assembler make one per call with
    counts that are already valid, and the same few counts repeat, so a small cache of the
    frozen values saves that work.

    Example:
        >>> usage_of(3, 4) is usage_of(3, 4)
        True
    """
    key = (input_tokens, output_tokens, cached_input_tokens, reasoning_tokens)
    usage = _cache.get(key)
    if usage is None:
        usage = Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cached_input_tokens=cached_input_tokens,
            reasoning_tokens=reasoning_tokens,
        )
        if len(_cache) < _CACHE_LIMIT:
            _cache[key] = usage
    return usage
