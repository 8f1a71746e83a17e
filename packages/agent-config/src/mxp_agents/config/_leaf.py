"""Converting one layer value to its field's type, with the path, source and secrets in view."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mxp_agents.config._convert import convert_object, convert_text
from mxp_agents.config._errors import ConfigValueError
from mxp_agents.config._paths import join
from mxp_agents.config._secret import Secret
from mxp_agents.config._types import mentions

if TYPE_CHECKING:
    from mxp_agents.config._context import Loading
    from mxp_agents.config._paths import KeyPath
    from mxp_agents.config._source import Source

__all__ = ["convert_leaf"]


def convert_leaf(
    loading: Loading, raw: object, tp: Any, path: KeyPath, source: Source, *, text: bool
) -> object:
    """``raw`` converted to ``tp``; failures name ``path`` and ``source``, secrets masked.

    Example:
        >>> convert_leaf(Loading("A_"), "4", int, ("workers",), Source.env("A_WORKERS"), text=True)
        4
    """
    if mentions(tp, Secret):
        loading.masker.collect_text(raw)
    failure: ConfigValueError
    try:
        value = convert_text(raw, tp) if text and isinstance(raw, str) else convert_object(raw, tp)
    except ConfigValueError as error:
        failure = error
    else:
        loading.masker.collect(value)
        return value
    raise loading.value_error(failure.reason, join(path, failure.path or "$"), (source,))
