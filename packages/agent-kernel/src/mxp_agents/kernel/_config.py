"""`KernelConfig`: every setting of a `Kernel`, a config section validated on construction."""

from __future__ import annotations

import math
from typing import Final, cast

import msgspec

from mxp.bodies import parse_address
from mxp.registry import RegistryClientConfig
from mxp.transport import EndpointConfig
from mxp_agents.kernel._errors import KernelError
from mxp_agents.kernel._fair_queue import PriorityWeights
from mxp_agents.primitives import InvalidCapabilityId, parse_capability_id

__all__ = ["KernelConfig", "KernelConfigError"]

_OWNER: Final = "KernelConfig"


class KernelConfigError(KernelError, ValueError):
    """A `KernelConfig` field with a wrong type or value; the message names the field.

    Example:
        >>> KernelConfig(max_concurrency=0)
        Traceback (most recent call last):
        ...
        mxp_agents.kernel._config.KernelConfigError: KernelConfig.max_concurrency: expected ...
    """


class KernelConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Settings of a `Kernel` (durations in seconds); load it as the ``kernel`` section.

    - ``host``/``port``: where the MXP endpoint binds (port 0: any free port).
      ``advertise_address`` (``"ip:port"``) is what the registry is told, when the bound
      address is not reachable as is (e.g. bound to ``0.0.0.0``).
    - ``registry``: ``"ip:port"`` of an MXP registry to register with, or None.
    - ``capabilities``: capability ids advertised to the registry; None advertises the
      agent's own. ``version``, ``description``, ``tags``: registry metadata.
    - ``max_concurrency``: runs at once; ``queue_size``: calls waiting beyond that (a call
      past it is answered ``busy`` with ``retry_after_ms``); ``weights``: the share of each
      priority class when all are waiting.
    - ``default_deadline``: a run's deadline when the call gives none; ``max_deadline``
      caps the deadline a caller may ask for.
    - ``drain_timeout``: how long shutdown waits for in-flight work before cancelling it.
    - ``tick_interval``: period of the ``on_tick`` hook while Active (None: no ticks).
    - ``suspended_retry_after_ms``: the retry hint given to calls refused while Suspended.
    - ``registry_client``: heartbeat and retry settings of the registry client;
      ``endpoint``: the MXP transport's settings (its handler limit is raised to fit
      ``max_concurrency + queue_size``).

    Example:
        >>> from mxp_agents.config import load_section
        >>> config = load_section(KernelConfig, "kernel", env={}, overrides={"port": 7000})
        >>> config.port, config.max_concurrency
        (7000, 32)
    """

    host: str = "127.0.0.1"
    port: int = 0
    advertise_address: str | None = None
    registry: str | None = None
    capabilities: tuple[str, ...] | None = None
    version: str = "0.0.0"
    description: str | None = None
    tags: tuple[str, ...] = ()
    max_concurrency: int = 32
    queue_size: int = 1024
    weights: PriorityWeights = PriorityWeights()
    default_deadline: float = 300.0
    max_deadline: float = 3600.0
    drain_timeout: float = 10.0
    tick_interval: float | None = None
    retry_after_ms: int = 250
    suspended_retry_after_ms: int = 1000
    registry_client: RegistryClientConfig = RegistryClientConfig()
    endpoint: EndpointConfig = EndpointConfig()

    def __post_init__(self) -> None:
        _text("host", self.host)
        _int_in("port", self.port, 0, 0xFFFF)
        for name in ("advertise_address", "registry"):
            value: object = getattr(self, name)
            if value is None:
                continue
            _text(name, value)
            try:
                parse_address(str(value))
            except ValueError as error:
                raise KernelConfigError(f"{_OWNER}.{name}: {error}") from None
        if self.capabilities is not None:
            for index, capability in enumerate(_strings("capabilities", self.capabilities)):
                try:
                    parse_capability_id(capability)
                except InvalidCapabilityId as error:
                    raise KernelConfigError(f"{_OWNER}.capabilities[{index}]: {error}") from None
        _text("version", self.version)
        if self.description is not None:
            _text("description", self.description)
        _strings("tags", self.tags)
        _int_in("max_concurrency", self.max_concurrency, 1, 1_000_000)
        _int_in("queue_size", self.queue_size, 0, 10_000_000)
        _type("weights", self.weights, PriorityWeights)
        for name in ("default_deadline", "max_deadline", "drain_timeout"):
            _seconds(name, getattr(self, name))
        if self.default_deadline > self.max_deadline:
            raise KernelConfigError(
                f"{_OWNER}.default_deadline ({self.default_deadline!r} s) cannot exceed "
                f"max_deadline ({self.max_deadline!r} s)"
            )
        if self.tick_interval is not None:
            _seconds("tick_interval", self.tick_interval)
        _int_in("retry_after_ms", self.retry_after_ms, 0, 86_400_000)
        _int_in("suspended_retry_after_ms", self.suspended_retry_after_ms, 0, 86_400_000)
        _type("registry_client", self.registry_client, RegistryClientConfig)
        _type("endpoint", self.endpoint, EndpointConfig)

    def endpoint_config(self) -> EndpointConfig:
        """``endpoint`` with room for every call the scheduler may hold at once.

        Example:
            >>> config = KernelConfig(max_concurrency=64, queue_size=1024)
            >>> config.endpoint_config().max_concurrent_handlers
            1104
        """
        needed = self.max_concurrency + self.queue_size + _SPARE_HANDLERS
        if self.endpoint.max_concurrent_handlers >= needed:
            return self.endpoint
        return msgspec.structs.replace(self.endpoint, max_concurrent_handlers=needed)


_SPARE_HANDLERS: Final = 16
"""Handler slots beyond the scheduler's, so refusals (busy, suspended) are never stuck."""


def _fail(name: str, expected: str, value: object) -> KernelConfigError:
    return KernelConfigError(f"{_OWNER}.{name}: expected {expected}, got {value!r}")


def _text(name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise _fail(name, "a non-empty str", value)


def _strings(name: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, tuple | list):
        raise _fail(name, "a list of str", value)
    items = tuple(cast("tuple[object, ...] | list[object]", value))
    for index, item in enumerate(items):
        _text(f"{name}[{index}]", item)
    return tuple(str(item) for item in items)


def _int_in(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(name, "an int", value)
    if value < low:
        raise _fail(name, f"an int >= {low}", value)
    if value > high:
        raise _fail(name, f"an int <= {high}", value)


def _seconds(name: str, value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise _fail(name, "a finite number of seconds > 0", value)


def _type(name: str, value: object, expected: type) -> None:
    if not isinstance(value, expected):
        raise _fail(name, expected.__name__, value)
