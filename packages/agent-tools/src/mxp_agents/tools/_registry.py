"""`ToolRegistry`: tools by name and version, with the latest version as the default."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from mxp_agents.primitives import CapabilityId, parse_capability_id
from mxp_agents.tools._errors import DuplicateToolError, ToolDefinitionError, UnknownToolError
from mxp_agents.tools._semver import is_prerelease, version_key
from mxp_agents.tools._tool import Tool

if TYPE_CHECKING:
    import builtins
    from collections.abc import Iterable, Iterator

    from mxp_agents.primitives import ToolDefinition

__all__ = ["ToolRegistry"]


class ToolRegistry:
    """Tools by ``name@version``; several versions of one name live side by side.

    ``get("search")`` is the latest version (by semantic-version order; a pre-release only when
    there is no release), ``get("search@1.0.0")`` that exact version. Listings are sorted by
    name, then version. The model is offered the latest version of each name.

    Example:
        >>> registry = ToolRegistry([add])
        >>> registry.get("add").key, "add@1.0.0" in registry, len(registry)
        ('add@1.0.0', True, 1)
    """

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._versions: dict[str, dict[str, Tool]] = {}  # name -> version -> tool
        self._by_key: dict[str, Tool] = {}
        self._latest: dict[str, Tool] = {}
        for item in tools:
            self.register(item)

    def register(self, tool: Tool) -> Tool:
        """Add ``tool`` and return it (so ``registry.register`` also works as a decorator).

        Raises:
            DuplicateToolError: a tool with the same ``name@version`` is registered.
            ToolDefinitionError: ``tool`` is not a `Tool` or its version is not semantic.

        Example:
            >>> ToolRegistry().register(add).key
            'add@1.0.0'
        """
        if not isinstance(tool, Tool):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ToolDefinitionError(
                f"only tools can be registered (decorate the function with @tool), "
                f"got {type(tool).__name__}"
            )
        try:
            version_key(tool.version)
        except ValueError as error:
            raise ToolDefinitionError(f"tool {tool.name!r}: {error}") from None
        if tool.key in self._by_key:
            raise DuplicateToolError(tool.key)
        self._versions.setdefault(tool.name, {})[tool.version] = tool
        self._by_key[tool.key] = tool
        self._refresh(tool.name)
        return tool

    def unregister(self, ref: str | Tool) -> None:
        """Remove one version (``"name@1.0.0"`` or a `Tool`) or every version (``"name"``).

        Raises:
            UnknownToolError: nothing is registered under ``ref``.

        Example:
            >>> registry = ToolRegistry([add])
            >>> registry.unregister("add")
            >>> "add" in registry
            False
        """
        key = ref if isinstance(ref, str) else ref.key
        name, _, version = key.partition("@")
        if not version:
            if name not in self._versions:
                raise self._unknown(key)
            for tool in self._versions.pop(name).values():
                del self._by_key[tool.key]
        else:
            tool = self.get(key)
            del self._by_key[tool.key]
            del self._versions[name][version]
            if not self._versions[name]:
                del self._versions[name]
        self._refresh(name)

    def get(self, ref: str) -> Tool:
        """The tool ``ref`` names: ``"name"`` (the latest version) or ``"name@version"``.

        Raises:
            UnknownToolError: no such tool or version; the message names near matches.

        Example:
            >>> ToolRegistry([add]).get("add@1.0.0").name
            'add'
        """
        found = self._latest.get(ref) or self._by_key.get(ref)
        if found is None:
            raise self._unknown(ref)
        return found

    def versions(self, name: str) -> list[str]:
        """The registered versions of ``name``, oldest first (empty if there are none).

        Example:
            >>> ToolRegistry([add]).versions("add")
            ['1.0.0']
        """
        return sorted(self._versions.get(name, {}), key=version_key)

    def definitions(
        self, granted: Iterable[CapabilityId | str] | None = None
    ) -> list[ToolDefinition]:
        """What to offer a model: the latest version of each name, sorted by name.

        With ``granted``, only the tools whose capabilities are all granted (the others would
        be denied anyway).

        Example:
            >>> [d.name for d in ToolRegistry([add]).definitions(granted=[])]
            []
        """
        tools = [self._latest[name] for name in sorted(self._latest)]
        if granted is not None:
            allowed = frozenset(parse_capability_id(capability) for capability in granted)
            tools = [tool for tool in tools if tool.capabilities <= allowed]
        return [tool.definition for tool in tools]

    def __contains__(self, ref: object) -> bool:
        return isinstance(ref, str) and (ref in self._latest or ref in self._by_key)

    def __iter__(self) -> Iterator[Tool]:
        return iter(self.list())

    def __len__(self) -> int:
        return len(self._by_key)

    def __repr__(self) -> str:
        return f"ToolRegistry({[tool.key for tool in self.list()]!r})"

    def list(self) -> builtins.list[Tool]:
        """Every registered tool, every version, sorted by name and then version.

        Example:
            >>> [t.key for t in ToolRegistry([add]).list()]
            ['add@1.0.0']
        """
        return [self._versions[name][version] for name in sorted(self._versions)
                for version in self.versions(name)]  # fmt: skip

    def _refresh(self, name: str) -> None:
        versions = self._versions.get(name)
        if not versions:
            self._latest.pop(name, None)
            return
        releases = [version for version in versions if not is_prerelease(version)]
        best = max(releases or versions, key=version_key)
        self._latest[name] = versions[best]

    def _unknown(self, ref: str) -> UnknownToolError:
        name, at, version = ref.partition("@")
        if at and name in self._versions:
            known = self.versions(name)
            return UnknownToolError(
                ref,
                tuple(f"{name}@{v}" for v in difflib.get_close_matches(version, known, n=3)),
                detail=f"tool {name!r} has no version {version!r} (registered: {', '.join(known)})",
            )
        near = difflib.get_close_matches(name, sorted(self._versions), n=3, cutoff=0.6)
        return UnknownToolError(ref, tuple(near))
