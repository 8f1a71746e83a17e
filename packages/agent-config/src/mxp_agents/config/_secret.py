"""`Secret`: a string that never shows itself in reprs, logs, errors, pickles or encoded output."""

from __future__ import annotations

import hmac
from typing import Any, ClassVar, Final, NoReturn, final

from mxp_agents.config._errors import SecretError

__all__ = ["MASK", "Secret"]

MASK: Final = "**********"
"""What a `Secret` shows instead of its value."""


@final
class Secret:
    """A secret string (an API key, a password) that only `reveal` gives back.

    ``repr``, ``str`` and f-strings show ``**********``; pickling raises `SecretError`; msgspec
    refuses to encode it unless given `config_enc_hook`, which writes the mask. Equality compares
    in constant time (`hmac.compare_digest`). As a config field type it is read from a TOML
    string, an env variable or an override (a str or a Secret).

    Example:
        >>> key = Secret("sk-live-123")
        >>> print(f"key={key}", repr(key))
        key=********** Secret('**********')
        >>> key.reveal()
        'sk-live-123'
    """

    __slots__ = ("__value",)
    MASK: ClassVar[str] = MASK

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise SecretError(f"a Secret holds a str, got {type(value).__name__}")
        object.__setattr__(self, "_Secret__value", value)

    def reveal(self) -> str:
        """The secret value. Pass it straight to the API that needs it; never log it.

        Example:
            >>> Secret("hunter2").reveal()
            'hunter2'
        """
        return self.__value

    def get_secret_value(self) -> str:
        """The secret value (the name pydantic uses, for familiarity); same as `reveal`.

        Example:
            >>> Secret("hunter2").get_secret_value()
            'hunter2'
        """
        return self.__value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, format_spec: str) -> str:
        return format(MASK, format_spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        mine, theirs = self.__value, other.__value
        return hmac.compare_digest(
            mine.encode("utf-8", "surrogatepass"), theirs.encode("utf-8", "surrogatepass")
        )

    def __hash__(self) -> int:
        return hash((Secret, self.__value))

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("a Secret is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("a Secret is immutable")

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise SecretError(
            "a Secret cannot be pickled, since that would write its value out; "
            "pass the config file or environment to the other process instead"
        )

    def __reduce__(self) -> NoReturn:
        return self.__reduce_ex__(2)
