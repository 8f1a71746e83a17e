"""`ToolContext`: what a running tool may know about its call, and the secrets it declared."""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import msgspec

from mxp_agents.config import Secret
from mxp_agents.tools._errors import ToolsError

__all__ = ["EMPTY_MAPPING", "ToolContext"]

EMPTY_MAPPING: Final[Mapping[str, Any]] = MappingProxyType({})


class ToolContext(msgspec.Struct, frozen=True, kw_only=True):
    """The context of one tool call, passed to a tool that has a parameter annotated with it.

    ``secrets`` holds only the secrets the tool declared (``@tool(secrets=("github_token",))``),
    never the rest of the agent's. ``metadata`` is whatever the caller of
    `ToolExecutor.execute` passed along. The parameter (of any name) is not part of the schema.

    Example:
        >>> @tool(secrets=("github_token",))
        ... async def open_issues(repo: str, ctx: ToolContext) -> int:
        ...     token = ctx.secret("github_token").reveal()
        ...     return await count_issues(repo, token)
        >>> ToolContext(call_id="call_1", agent_id="planner").agent_id
        'planner'
    """

    call_id: str
    agent_id: str | None = None
    run_id: str | None = None
    trace_id: int | None = None
    secrets: Mapping[str, Secret] = EMPTY_MAPPING
    metadata: Mapping[str, Any] = EMPTY_MAPPING

    def secret(self, name: str) -> Secret:
        """The declared secret called ``name``.

        Raises:
            ToolsError: the tool did not declare ``name`` (add it to ``@tool(secrets=...)``).

        Example:
            >>> ToolContext(call_id="c1", secrets={"k": Secret("v")}).secret("k")
            Secret('**********')
        """
        try:
            return self.secrets[name]
        except KeyError:
            declared = ", ".join(repr(key) for key in sorted(self.secrets)) or "none"
            raise ToolsError(
                f"secret {name!r} is not available to this tool (declared: {declared}); "
                "list it in @tool(secrets=...)"
            ) from None
