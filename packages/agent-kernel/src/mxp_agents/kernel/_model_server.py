"""Serving a model over MXP: `serve_model` puts any `ModelAdapter` on the mesh as a model agent
(a `Kernel` hosting a `ModelService`), for `MxpModel` to call.

The wire format is in `mxp_agents.kernel._model_wire` and docs/protocol.md ("Model calls").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec

from mxp_agents.adapters import ModelAdapter
from mxp_agents.kernel._config import KernelConfig, KernelConfigError
from mxp_agents.kernel._model_service import ModelService
from mxp_agents.kernel._model_wire import model_capability
from mxp_agents.kernel._served import ServedKernel
from mxp_agents.primitives import InvalidCapabilityId, parse_capability_id

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

    from mxp_agents.primitives import CapabilityId

__all__ = ["ModelServer", "serve_model"]


class ModelServer(ServedKernel):
    """A model served over MXP: runs like a `Kernel` (build it with `serve_model`).

    Example:
        >>> async with serve_model(model).running() as server:
        ...     print(server.address, server.capability)
        ('127.0.0.1', 54321) model.openai.gpt-4o-mini
    """

    def __init__(
        self,
        adapter: ModelAdapter,
        *,
        config: KernelConfig | None = None,
        name: str | None = None,
        capability: str | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        if not isinstance(adapter, ModelAdapter):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise KernelConfigError(
                "serve_model: expected a ModelAdapter (provider, model_name, stream, complete), "
                f"got {type(adapter).__name__}"
            )
        if capability is None:
            checked = model_capability(adapter.provider, adapter.model_name)
        else:
            checked = _capability(capability)
        config = config if config is not None else KernelConfig()
        if config.capabilities is not None and checked not in config.capabilities:
            config = msgspec.structs.replace(config, capabilities=(checked, *config.capabilities))
        if name is not None and (not isinstance(name, str) or not name.strip()):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise KernelConfigError(f"serve_model: name must be a non-blank str, got {name!r}")
        self.service: Final = ModelService(
            adapter, name=name if name is not None else checked, capability=checked
        )
        super().__init__(self.service, config=config, tracer_provider=tracer_provider)

    @property
    def adapter(self) -> ModelAdapter:
        """The model served.

        Example:
            >>> serve_model(model).adapter is model
            True
        """
        return self.service.adapter

    @property
    def capability(self) -> CapabilityId:
        """The capability advertised (``model.<provider>.<model>`` unless given).

        Example:
            >>> serve_model(FunctionModel(str)).capability
            'model.function.function'
        """
        return self.service.capability

    @property
    def name(self) -> str:
        """The registered name (the capability unless given).

        Example:
            >>> serve_model(model, name="gpu-1").name
            'gpu-1'
        """
        return self.service.name

    def __repr__(self) -> str:
        return f"ModelServer({self.capability!r}, state={self.state.value})"


def serve_model(
    adapter: ModelAdapter,
    *,
    config: KernelConfig | None = None,
    name: str | None = None,
    capability: str | None = None,
    tracer_provider: TracerProvider | None = None,
) -> ModelServer:
    """Expose ``adapter`` as an MXP model agent, for `MxpModel` to call.

    ``capability`` (default ``model.<provider>.<model>``, see `model_capability`) is
    advertised to ``config.registry`` when set, with any ``config.capabilities``; ``name``
    (default: the capability) is the registered name. Concurrency, queueing, deadlines and
    shutdown are the kernel's (``config.max_concurrency``, ``queue_size``, ...).

    Raises:
        KernelConfigError: not a ModelAdapter, a bad capability or name.

    Example:
        >>> server = serve_model(OpenAIModel("gpt-4o-mini"),
        ...                      config=KernelConfig(registry="127.0.0.1:50051"))
        >>> async with server.running():
        ...     await trio.sleep_forever()
    """
    return ModelServer(
        adapter, config=config, name=name, capability=capability, tracer_provider=tracer_provider
    )


def _capability(text: str) -> CapabilityId:
    try:
        return parse_capability_id(text)
    except InvalidCapabilityId as error:
        raise KernelConfigError(f"serve_model: capability: {error}") from None
