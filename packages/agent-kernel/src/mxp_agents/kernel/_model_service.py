"""`ModelService`: the `CallService` of a model served over MXP (see `serve_model`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec

from mxp import MessageType
from mxp_agents.adapters import ModelError, close_stream
from mxp_agents.kernel._kernel_telemetry import KernelTelemetry
from mxp_agents.kernel._model_errors import ModelStreamError, body_of
from mxp_agents.kernel._model_wire import ModelCall, ModelInfo, parse_model_call
from mxp_agents.primitives import random_agent_id

if TYPE_CHECKING:
    import trio

    import mxp
    from mxp_agents.adapters import ModelAdapter
    from mxp_agents.kernel._call_service import Accepted
    from mxp_agents.primitives import AgentId, CapabilityId

__all__ = ["ModelService"]

_encode: Final = msgspec.json.Encoder().encode


class ModelService:
    """The `CallService` of a served model: model calls answered by ``adapter``.

    A `ModelError` is answered with its `ModelErrorBody` (unary) or a last
    `ModelStreamError` item (streamed); other failures are the kernel's.

    Example:
        >>> kernel = Kernel(ModelService(model, name="m", capability="model.x.y"))
    """

    def __init__(self, adapter: ModelAdapter, *, name: str, capability: CapabilityId) -> None:
        self.adapter: Final = adapter
        self.capability: Final = capability
        self._name = name
        self._id = random_agent_id()
        self._info = _encode(
            ModelInfo(provider=adapter.provider, model=adapter.model_name, capability=capability)
        )

    @property
    def id(self) -> AgentId:
        """The server's agent id (random).

        Example:
            >>> service.id  # doctest: +SKIP
            UUID('5f0c6a8e-...')
        """
        return self._id

    @property
    def name(self) -> str:
        """The name registered.

        Example:
            >>> service.name  # doctest: +SKIP
            'model.openai.gpt-4o-mini'
        """
        return self._name

    def capabilities(self) -> tuple[str, ...]:
        """The model's capability.

        Example:
            >>> service.capabilities()  # doctest: +SKIP
            ('model.openai.gpt-4o-mini',)
        """
        return (self.capability,)

    def parse(self, payload: bytes) -> ModelCall:
        """A `ModelCall` body, or `InvalidCallBody`.

        Example:
            >>> service.parse(b'{"model_info": true}').model_info
            True
        """
        return parse_model_call(payload)

    def immediate(self, call: ModelCall) -> bytes | None:
        """The `ModelInfo` for a probe (at once, even when busy); None for a model request.

        Example:
            >>> service.immediate(ModelCall(model_info=True))  # doctest: +SKIP
            b'{"provider":"openai","model":"gpt-4o-mini","capability":"model.openai.gpt-4o-mini"}'
        """
        return self._info if call.model_info else None

    async def respond(self, call: ModelCall, accepted: Accepted) -> mxp.Message:
        """Answer with the `ModelResponse`, or an Error carrying the `ModelError`.

        Example:
            >>> reply = await service.respond(call, accepted)  # doctest: +SKIP
        """
        message = accepted.message
        request = call.model_request
        assert request is not None  # a call without one is a probe, answered at once
        try:
            response = await self.adapter.complete(request)
        except ModelError as error:
            body = body_of(error)
            KernelTelemetry.set_error(accepted.span, body.code, body.error)
            return message.reply(MessageType.ERROR, _encode(body))
        return message.reply(MessageType.RESPONSE, _encode(response))

    async def stream(
        self, call: ModelCall, accepted: Accepted, send: trio.MemorySendChannel[bytes]
    ) -> None:
        """Send each `ModelEvent`, or last a `ModelStreamError` carrying the `ModelError`.

        The adapter's stream is closed when the caller goes away (the next send fails).

        Example:
            >>> await service.stream(call, accepted, send)  # doctest: +SKIP
        """
        request = call.model_request
        assert request is not None
        events = self.adapter.stream(request)
        try:
            async for event in events:
                await send.send(_encode(event))
        except ModelError as error:
            body = body_of(error)
            KernelTelemetry.set_error(accepted.span, body.code, body.error)
            await send.send(_encode(ModelStreamError(**msgspec.structs.asdict(body))))
        finally:
            await close_stream(events)
