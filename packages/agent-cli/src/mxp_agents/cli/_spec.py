"""Loading what ``mxp-agents run SPEC`` serves: an `Agent` and its `KernelConfig`.

SPEC is a TOML file (an ``[agent]`` table, optional ``[[agent.steps]]`` and ``[kernel]``) or a
Python entry point ``package.module:attribute`` naming an `Agent` or a function returning one.
The ``[kernel]`` section is loaded with `load_section`: file, then ``MXP_AGENTS_KERNEL__*``
variables, then the command-line overrides. Every problem is a `SpecError` naming the file (or
entry point) and the path of the value.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from mxp_agents.cli._entry_points import is_entry_point, resolve_entry_point
from mxp_agents.cli._errors import SpecError
from mxp_agents.cli._spec_file import AgentSection
from mxp_agents.cli._spec_model import build_model, describe_model
from mxp_agents.cli._spec_tools import resolve_tools
from mxp_agents.config import ConfigError, load_section
from mxp_agents.kernel import Agent, AgentConfigError, KernelConfig

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["LoadedSpec", "load_spec"]


class LoadedSpec(msgspec.Struct, frozen=True):
    """An agent ready to serve: the agent, its kernel settings and where they came from.

    Example:
        >>> loaded = load_spec("agent.toml", overrides={"port": 0})  # doctest: +SKIP
        >>> loaded.agent.name, loaded.config.port  # doctest: +SKIP
        ('calc', 0)
    """

    agent: Agent[Any]
    config: KernelConfig
    source: str
    model: str


def load_spec(
    spec: str,
    *,
    overrides: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> LoadedSpec:
    """Load SPEC (a TOML file or an entry point); ``overrides`` set `KernelConfig` fields.

    ``env`` defaults to ``os.environ``. Blocking (reads files, imports modules): call it
    before ``trio.run``.

    Raises:
        SpecError: anything wrong with the spec, its tools, its model or its kernel settings.

    Example:
        >>> load_spec("mxp_agents_examples.calc:agent", overrides={"port": 0}).agent.name
        'calc'
    """
    env = os.environ if env is None else env
    folder = (cwd if cwd is not None else Path.cwd()).resolve()
    path = folder / spec
    if spec.endswith(".toml") or path.is_file():
        return _from_file(path, overrides or {}, env, folder)
    if is_entry_point(spec):
        return _from_entry_point(spec, overrides or {}, env, folder)
    raise SpecError(
        f"SPEC {spec!r} is neither a TOML file (no such file) nor an entry point "
        "'package.module:attribute'"
    )


def _from_file(
    path: Path, overrides: Mapping[str, object], env: Mapping[str, str], cwd: Path
) -> LoadedSpec:
    where = f"file {path}"
    try:
        section = load_section(AgentSection, "agent", file=path, env=env)
    except ConfigError as error:
        raise SpecError(f"{where}: {error}") from None
    search = (path.parent, cwd)
    tools = resolve_tools(section.tools, where=f"{where}: agent", search=search)
    model = build_model(section.model, section.steps, where=f"{where}: agent", search=search)
    try:
        agent: Agent[Any] = Agent(
            section.name,
            model=model,
            instructions=section.instructions,
            tools=tools,
            capabilities=section.capabilities,
        )
    except AgentConfigError as error:
        raise SpecError(f"{where}: agent: {error}") from None
    config = _kernel_config(path, overrides, env, where)
    if config.description is None and section.description is not None:
        config = msgspec.structs.replace(config, description=section.description)
    return LoadedSpec(agent, config, where, describe_model(agent.model))


def _from_entry_point(
    spec: str, overrides: Mapping[str, object], env: Mapping[str, str], cwd: Path
) -> LoadedSpec:
    where = f"entry point {spec!r}"
    found = resolve_entry_point(spec, where="SPEC", search=(cwd,))
    if not isinstance(found, Agent) and callable(found):
        try:
            found = found()
        except Exception as error:
            raise SpecError(
                f"{where}: calling it failed: {type(error).__name__}: {error}"
            ) from error
    if not isinstance(found, Agent):
        raise SpecError(
            f"{where} gives a {type(found).__name__}, not an Agent; name an "
            "mxp_agents.kernel.Agent or a function without arguments returning one"
        )
    agent: Agent[Any] = found  # pyright: ignore[reportUnknownVariableType]
    config = _kernel_config(None, overrides, env, where)
    return LoadedSpec(agent, config, where, describe_model(agent.model))


def _kernel_config(
    path: Path | None, overrides: Mapping[str, object], env: Mapping[str, str], where: str
) -> KernelConfig:
    try:
        return load_section(KernelConfig, "kernel", file=path, env=env, overrides=dict(overrides))
    except ConfigError as error:
        raise SpecError(f"{where}: kernel settings: {error}") from None
