"""Loading rules from TOML through agent-config, with errors naming file, rule and field."""

from __future__ import annotations

import difflib
import os
import re
import time
import tomllib
from typing import TYPE_CHECKING, Any, Final, cast, get_args

import msgspec

from mxp_agents.config import ConfigError, load_config, load_section
from mxp_agents.policy._errors import PolicyLoadError
from mxp_agents.policy._rules._engine import RulesEngine
from mxp_agents.policy._rules._spec import Rule, RulesPolicy

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from mxp_agents.policy._rules._compile import RuleProblem

__all__ = ["RuleLoadError", "load_rules"]

_RULE_AT: Final = re.compile(r"rules\[(\d+)\]\.?(.*)")
_UNKNOWN: Final = re.compile(r"object contains unknown field '([^']*)'")


class RuleLoadError(PolicyLoadError):
    """A rules file that cannot be loaded. ``file`` (as given), ``rule`` (its name, when it
    has one), ``index`` (its position in ``rules``), ``field`` (``when.args.amount.gt``,
    relative to the rule, or a section key such as ``policy.default``) and ``reason``.

    Example:
        >>> str(RuleLoadError("policy.toml", "expected number, got str", rule="big", index=2,
        ...                   field="when.args.amount.gt"))
        "policy.toml: rule 'big' (rules[2]): when.args.amount.gt: expected number, got str"
    """

    def __init__(
        self,
        file: str,
        reason: str,
        *,
        rule: str | None = None,
        index: int | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.file, self.reason, self.rule, self.index = file, reason, rule, index
        self.field, self.line = field, line
        parts = [file if line is None else f"{file}, line {line}"]
        if index is not None:
            parts.append(f"rules[{index}]" if rule is None else f"rule {rule!r} (rules[{index}])")
        if field:
            parts.append(field)
        super().__init__(": ".join([*parts, reason]))


class _FileSource:
    """A rules file (``section`` of it, or the whole file when None)."""

    def __init__(
        self,
        file: str,
        section: str | None,
        env: Mapping[str, str] | None,
        overrides: Mapping[str, object] | None,
    ) -> None:
        self.file, self.section, self.env, self.overrides = file, section, env, overrides

    def read(self) -> RulesPolicy:
        failure: ConfigError | None = None
        try:
            if self.section is None:
                return load_config(
                    RulesPolicy, file=self.file, env=self.env, overrides=self.overrides
                )
            return load_section(
                RulesPolicy, self.section, file=self.file, env=self.env, overrides=self.overrides
            )
        except ConfigError as error:
            failure = error
        raise self._config_error(failure) from None

    def error(self, problem: RuleProblem) -> RuleLoadError:
        if problem.index is None:
            return RuleLoadError(self.file, problem.reason, field=self._key(problem.field))
        return RuleLoadError(
            self.file, problem.reason, rule=problem.name, index=problem.index, field=problem.field
        )

    def _key(self, field: str) -> str:
        return field if self.section is None else f"{self.section}.{field}"

    def _config_error(self, error: ConfigError) -> RuleLoadError:
        source = error.source
        file, line = self.file, None
        if source is not None and source.layer == "file":
            line = source.line
        elif source is not None and source.layer != "defaults":
            file = f"{self.file} ({source})"
        reason = error.reason if error.hint is None else f"{error.reason}; {error.hint}"
        path = (error.path or "$").removeprefix("$").lstrip(".")
        if self.section is not None:
            path = path.removeprefix(self.section).lstrip(".")
        at = _RULE_AT.fullmatch(path)
        if at is None:
            return RuleLoadError(file, reason, field=self._key(path) if path else None, line=line)
        index, field = int(at[1]), at[2]
        unknown = _UNKNOWN.fullmatch(reason)
        if unknown is not None:
            reason = _with_hint(reason, field, unknown[1])
        name = self._name_of(index, source.layer if source is not None else None)
        return RuleLoadError(file, reason, rule=name, index=index, field=field)

    def _name_of(self, index: int, layer: str | None) -> str | None:
        """The name of rule ``index`` as written in the file (best effort, errors only)."""
        data: object
        if layer == "overrides" and self.overrides is not None:
            data = {"rules": self.overrides.get("rules")}
        else:
            try:
                with open(self.file, "rb") as stream:
                    data = tomllib.load(stream)
            except (OSError, tomllib.TOMLDecodeError):
                return None
            for part in self.section.split(".") if self.section else ():
                data = _get(data, part)
        rules = _get(data, "rules")
        if isinstance(rules, list):
            listed = cast("list[object]", rules)
            name = _get(listed[index], "name") if index < len(listed) else None
            if isinstance(name, str) and name.strip():
                return name
        return None


def _get(data: object, key: str) -> object:
    return cast("dict[str, object]", data).get(key) if isinstance(data, dict) else None


def _with_hint(reason: str, field: str, key: str) -> str:
    schema: Any = Rule
    for part in re.sub(r"\[\d+\]", "", field).split(".") if field else ():
        info = {f.name: f.type for f in msgspec.structs.fields(schema)}.get(part)
        schema = next((t for t in (info, *get_args(info)) if _is_struct(t)), None)
        if schema is None:
            return reason
    names = [f.encode_name for f in msgspec.structs.fields(schema)]
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    if close:
        return f"unknown field {key!r}; did you mean {close[0]!r}?"
    return f"unknown field {key!r}; known fields here: {', '.join(names)}"


def _is_struct(tp: object) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def load_rules(
    file: str | os.PathLike[str],
    *,
    section: str | None = "policy",
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
    clock: Callable[[], float] = time.time,
) -> RulesEngine:
    """A `RulesEngine` from the ``[section]`` table of a TOML file (``section=None``: the
    whole file is the policy). ``env`` (e.g. ``os.environ``) and ``overrides`` layer on top
    as in `mxp_agents.config.load_section`; by default only the file counts. The engine
    remembers the file: ``await engine.reload()`` reads it again.

    Raises:
        RuleLoadError: naming the file, the rule and the field, e.g.
            ``policy.toml: rule 'big-payments' (rules[2]): when.args.amount.gt: expected
            number, got str``.

    Example:
        >>> engine = load_rules("policy.toml")  # doctest: +SKIP
        >>> len(engine)  # doctest: +SKIP
        20
    """
    source = _FileSource(os.fspath(file), section, env, overrides)
    return RulesEngine(source.read(), clock=clock, source=source)
