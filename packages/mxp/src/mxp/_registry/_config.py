"""Configuration of the registry server and of the registry client."""

from __future__ import annotations

import math

import msgspec

from mxp._registry._errors import RegistryConfigError


def _positive(owner: str, name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RegistryConfigError(
            f"{owner}.{name} must be a finite number of seconds, got {value!r}"
        )
    if value <= 0:
        raise RegistryConfigError(f"{owner}.{name} must be a number > 0 (seconds), got {value!r}")


def _count(owner: str, name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RegistryConfigError(f"{owner}.{name} must be an int >= {minimum}, got {value!r}")


class RegistryConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Settings of an embedded registry (all durations in seconds).

    An agent whose last heartbeat is older than ``heartbeat_interval * missed_heartbeats`` is
    reported ``Offline``; once it is older than ``evict_after`` the agent is removed. The
    background sweep that logs and applies these transitions runs every ``sweep_interval``
    (default: ``heartbeat_interval``); reads are always exact, whatever the sweep cadence.

    Example:
        >>> config = RegistryConfig(heartbeat_interval=5.0, evict_after=60.0)
        >>> config.offline_after
        15.0
    """

    heartbeat_interval: float = 10.0
    """How often agents are expected to heartbeat (the reference client sends one every 10 s)."""
    missed_heartbeats: int = 3
    """Heartbeat intervals without a heartbeat after which an agent is reported Offline."""
    evict_after: float = 120.0
    """Seconds since the last heartbeat after which an agent is removed (> offline_after)."""
    max_agents: int = 10_000
    """Most agents held at once; a registration beyond it gets an Error ``registry_full``."""
    sweep_interval: float | None = None
    """Cadence of the background sweep; ``None`` means ``heartbeat_interval``."""

    def __post_init__(self) -> None:
        _positive("RegistryConfig", "heartbeat_interval", self.heartbeat_interval)
        _count("RegistryConfig", "missed_heartbeats", self.missed_heartbeats, 1)
        _positive("RegistryConfig", "evict_after", self.evict_after)
        _count("RegistryConfig", "max_agents", self.max_agents, 0)
        if self.sweep_interval is not None:
            _positive("RegistryConfig", "sweep_interval", self.sweep_interval)
        if self.evict_after <= self.offline_after:
            raise RegistryConfigError(
                f"RegistryConfig.evict_after ({self.evict_after!r} s) must be greater than "
                f"heartbeat_interval * missed_heartbeats ({self.offline_after!r} s): agents go "
                "Offline before they are evicted"
            )

    @property
    def offline_after(self) -> float:
        """Seconds without a heartbeat after which an agent is reported Offline.

        Example:
            >>> RegistryConfig(heartbeat_interval=2.0, missed_heartbeats=5).offline_after
            10.0
        """
        return self.heartbeat_interval * self.missed_heartbeats

    @property
    def effective_sweep_interval(self) -> float:
        """The sweep cadence actually used.

        Example:
            >>> RegistryConfig(heartbeat_interval=4.0).effective_sweep_interval
            4.0
        """
        return self.heartbeat_interval if self.sweep_interval is None else self.sweep_interval


class RegistryClientConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Settings of `RegistryClient` (seconds); the defaults are the reference runtime's.

    Registration is retried with a back-off of ``initial_retry_delay`` doubling up to
    ``max_retry_delay``; after ``max_consecutive_failures`` failed heartbeats in a row the client
    registers again (at once when the registry answers ``needs_register``). Every request waits
    at most ``request_timeout`` (the transport retransmits within it).

    Example:
        >>> RegistryClientConfig(heartbeat_interval=2.0).max_retry_delay
        30.0
    """

    heartbeat_interval: float = 10.0
    initial_retry_delay: float = 1.0
    max_retry_delay: float = 30.0
    max_consecutive_failures: int = 3
    request_timeout: float = 5.0
    """Longest wait for the registry's reply to one request."""
    register_timeout: float = 30.0
    """Longest wait in `RegistryClient.keep_registered` for the first registration."""
    deregister_timeout: float = 2.0
    """Longest wait for the deregistration sent when `keep_registered` exits."""

    def __post_init__(self) -> None:
        owner = "RegistryClientConfig"
        for name in (
            "heartbeat_interval",
            "initial_retry_delay",
            "max_retry_delay",
            "request_timeout",
            "register_timeout",
            "deregister_timeout",
        ):
            _positive(owner, name, getattr(self, name))
        _count(owner, "max_consecutive_failures", self.max_consecutive_failures, 1)
        if self.initial_retry_delay > self.max_retry_delay:
            raise RegistryConfigError(
                f"{owner}.initial_retry_delay ({self.initial_retry_delay!r} s) cannot exceed "
                f"max_retry_delay ({self.max_retry_delay!r} s)"
            )
