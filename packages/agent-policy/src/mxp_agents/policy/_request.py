"""`PolicyRequest`: who wants to do what, in which context; the actions it can name."""

from __future__ import annotations

from typing import Any, TypeAlias

import msgspec

from mxp_agents.policy._errors import InvalidPolicy
from mxp_agents.primitives import kind_of

__all__ = [
    "EmitEvent",
    "InvokeTool",
    "MemoryWrite",
    "ModelInference",
    "OutboundMessage",
    "PolicyAction",
    "PolicyContext",
    "PolicyRequest",
]


def _text(value: object, path: str) -> None:
    if not isinstance(value, str):
        raise InvalidPolicy(f"expected str, got {kind_of(value)}", path)
    if not value.strip():
        raise InvalidPolicy("must not be blank", path)


def _tags(tags: object, path: str) -> None:
    if not isinstance(tags, tuple):
        raise InvalidPolicy(f"expected a tuple of str, got {kind_of(tags)}", path)
    for index, tag in enumerate(tags):  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
        _text(tag, f"{path}[{index}]")  # pyright: ignore[reportUnknownArgumentType]


class InvokeTool(msgspec.Struct, frozen=True, tag="invoke_tool", tag_field="kind"):
    """Run a tool: its ``name``, ``version`` (None: the registry's latest) and ``arguments``.

    Example:
        >>> InvokeTool("pay", arguments={"amount": 120}).label
        'tool `pay`'
    """

    name: str
    version: str | None = None
    arguments: dict[str, Any] = msgspec.field(default_factory=dict[str, Any])

    def __post_init__(self) -> None:
        _text(self.name, "$.action.name")
        if self.version is not None:
            _text(self.version, "$.action.version")
        if not isinstance(self.arguments, dict):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidPolicy(
                f"expected object, got {kind_of(self.arguments)}", "$.action.arguments"
            )

    @property
    def label(self) -> str:
        """What the action is, for reasons and audit subjects.

        Example:
            >>> InvokeTool("pay").label
            'tool `pay`'
        """
        return f"tool `{self.name}`"


class ModelInference(msgspec.Struct, frozen=True, tag="model_inference", tag_field="kind"):
    """Call a model: ``provider`` and ``model``.

    Example:
        >>> ModelInference("openai", "gpt-4o-mini").label
        'model `openai/gpt-4o-mini`'
    """

    provider: str
    model: str

    def __post_init__(self) -> None:
        _text(self.provider, "$.action.provider")
        _text(self.model, "$.action.model")

    @property
    def label(self) -> str:
        """What the action is.

        Example:
            >>> ModelInference("ollama", "llama3").label
            'model `ollama/llama3`'
        """
        return f"model `{self.provider}/{self.model}`"


class MemoryWrite(msgspec.Struct, frozen=True, tag="memory_write", tag_field="kind"):
    """Write a memory record: its ``channel`` and ``tags``.

    Example:
        >>> MemoryWrite("tool", ("sensitive",)).label
        'memory `tool`'
    """

    channel: str
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _text(self.channel, "$.action.channel")
        _tags(self.tags, "$.action.tags")

    @property
    def label(self) -> str:
        """What the action is.

        Example:
            >>> MemoryWrite("input").label
            'memory `input`'
        """
        return f"memory `{self.channel}`"


class OutboundMessage(msgspec.Struct, frozen=True, tag="outbound_message", tag_field="kind"):
    """Send an MXP message: its ``type`` (``"call"``, ``"event"``, ...) and ``target`` (an
    address or a capability).

    Example:
        >>> OutboundMessage("call", "payments.refund").label
        'message `call` to `payments.refund`'
    """

    type: str
    target: str

    def __post_init__(self) -> None:
        _text(self.type, "$.action.type")
        _text(self.target, "$.action.target")

    @property
    def label(self) -> str:
        """What the action is.

        Example:
            >>> OutboundMessage("event", "127.0.0.1:7000").label
            'message `event` to `127.0.0.1:7000`'
        """
        return f"message `{self.type}` to `{self.target}`"


class EmitEvent(msgspec.Struct, frozen=True, tag="emit_event", tag_field="kind"):
    """An application's own event (``event_type``), with any ``data``.

    Example:
        >>> EmitEvent("deploy").label
        'event `deploy`'
    """

    event_type: str
    data: dict[str, Any] = msgspec.field(default_factory=dict[str, Any])

    def __post_init__(self) -> None:
        _text(self.event_type, "$.action.event_type")

    @property
    def label(self) -> str:
        """What the action is.

        Example:
            >>> EmitEvent("deploy").label
            'event `deploy`'
        """
        return f"event `{self.event_type}`"


PolicyAction: TypeAlias = InvokeTool | ModelInference | MemoryWrite | OutboundMessage | EmitEvent
"""What a request asks to do; a tagged union on ``"kind"``."""


class PolicyContext(msgspec.Struct, frozen=True):
    """Where the request comes from: ``metadata`` (run id, caller, ...) and ``tags``.

    Example:
        >>> PolicyContext({"run_id": "r1"}, ("prod",)).tags
        ('prod',)
    """

    metadata: dict[str, Any] = msgspec.field(default_factory=dict[str, Any])
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.metadata, dict):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidPolicy(
                f"expected object, got {kind_of(self.metadata)}", "$.context.metadata"
            )
        _tags(self.tags, "$.context.tags")


class PolicyRequest(msgspec.Struct, frozen=True):
    """A question for the policy engine: may ``agent_id`` do ``action`` in ``context``?

    Example:
        >>> request = PolicyRequest("0190...", InvokeTool("pay", arguments={"amount": 120}))
        >>> request.subject, request.action.arguments
        ('tool `pay`', {'amount': 120})
    """

    agent_id: str
    action: PolicyAction
    context: PolicyContext = msgspec.field(default_factory=PolicyContext)

    def __post_init__(self) -> None:
        _text(self.agent_id, "$.agent_id")
        if not isinstance(
            self.action, InvokeTool | ModelInference | MemoryWrite | OutboundMessage | EmitEvent
        ):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidPolicy(f"expected a policy action, got {kind_of(self.action)}", "$.action")

    @property
    def subject(self) -> str:
        """The action's label (``tool `pay```), as reasons and audit events name it.

        Example:
            >>> PolicyRequest("a", ModelInference("openai", "gpt-4o")).subject
            'model `openai/gpt-4o`'
        """
        return self.action.label
