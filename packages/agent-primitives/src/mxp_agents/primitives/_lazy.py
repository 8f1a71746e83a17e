"""`lazy_exports`: a package's public names that load their module on first use."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str,
    table: Mapping[str, tuple[str, str | None]],
    *,
    distribution: str | None = None,
) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``table`` maps a public name to (the module,
    relative to ``package``, that defines it; the extra of ``distribution`` whose dependencies
    it imports, or None). The first access imports the module and caches the value in the
    package; a missing optional dependency becomes an `ImportError` naming the pip command.

    Example:
        >>> __getattr__ = lazy_exports(
        ...     __name__, {"RegoEngine": ("_rego", "rego")}, distribution="mxp-agents-policy"
        ... )  # doctest: +SKIP
    """
    namespace: dict[str, Any] = importlib.import_module(package).__dict__

    def getattr_(name: str) -> Any:
        entry = table.get(name)
        if entry is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, extra = entry
        try:
            loaded = importlib.import_module(f"{package}.{module}")
        except ImportError as error:
            if extra is None or distribution is None:
                raise
            raise ImportError(
                f"{name} needs the {extra!r} extra: pip install '{distribution}[{extra}]' ({error})"
            ) from error
        value = getattr(loaded, name)
        namespace[name] = value
        return value

    return getattr_
