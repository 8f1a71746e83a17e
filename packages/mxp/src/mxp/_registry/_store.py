"""The registry's in-memory state: agents, their capabilities and their health over time.

Monotonic time comes from ``trio.current_time()`` (so `trio.testing.MockClock` drives it in
tests); timestamps in records come from an injectable wall clock.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import msgspec
import trio

from mxp._registry._config import RegistryConfig
from mxp._registry._errors import RegistryError
from mxp._registry._registration import parse_metadata
from mxp.bodies import (
    AgentRecord,
    AgentStatus,
    RegisterRequest,
    format_address,
    parse_address,
    utc_now,
)

if TYPE_CHECKING:
    import datetime as _dt
    from collections.abc import Callable

logger: Final = logging.getLogger("mxp.registry")

ALL_CAPABILITIES: Final = "*"
"""The capability that `RegistryStore.discover` answers with every reachable agent."""


class _Entry:
    """One registered agent (mutable, private to the store)."""

    __slots__ = (
        "address",
        "capabilities",
        "description",
        "id",
        "last_heartbeat",
        "last_seen",
        "name",
        "offline_reported",
        "registered_at",
        "tags",
        "version",
    )

    def __init__(
        self,
        request: RegisterRequest,
        address: str,
        metadata: tuple[str, str | None, list[str]],
        now: float,
        wall: _dt.datetime,
    ) -> None:
        self.id = request.id
        self.registered_at = wall
        self.update(request, address, metadata, now, wall)

    def update(
        self,
        request: RegisterRequest,
        address: str,
        metadata: tuple[str, str | None, list[str]],
        now: float,
        wall: _dt.datetime,
    ) -> None:
        self.name = request.name
        self.capabilities = list(request.capabilities)
        self.address = address
        self.version, self.description, self.tags = metadata
        self.last_seen = now
        self.last_heartbeat = wall
        self.offline_reported = False


class SweepReport(msgspec.Struct, frozen=True):
    """What one `RegistryStore.sweep` changed: agents newly Offline and agents evicted.

    Example:
        >>> SweepReport(went_offline=["a1"], evicted=[]).went_offline
        ['a1']
    """

    went_offline: list[str]
    evicted: list[str]


class RegistryStore:
    """In-memory registry state; the server's core, usable without any socket.

    Every method is synchronous and must run inside trio (it reads ``trio.current_time()``).
    An agent is ``Online`` while heartbeats arrive, ``Offline`` once its last heartbeat is older
    than ``config.offline_after`` and gone once older than ``config.evict_after``. `discover`
    returns Online and Degraded agents only; `list_agents` returns every agent still held.

    Example:
        >>> async def main() -> None:
        ...     store = RegistryStore(RegistryConfig())
        ...     store.register(RegisterRequest(id="a1", name="echo", capabilities=["demo.echo"],
        ...                                    address="127.0.0.1:9000"))
        ...     print([record.id for record in store.discover("demo.echo")])
        >>> trio.run(main)
        ['a1']
    """

    def __init__(
        self,
        config: RegistryConfig | None = None,
        *,
        wall_clock: Callable[[], _dt.datetime] = utc_now,
    ) -> None:
        self.config: Final = config if config is not None else RegistryConfig()
        self.wall_clock: Final = wall_clock
        self._entries: dict[str, _Entry] = {}
        # capability -> agent ids, insertion-ordered (a dict used as an ordered set).
        self._by_capability: dict[str, dict[str, None]] = {}

    def __len__(self) -> int:
        """How many agents are held (Offline ones included, evicted ones not).

        Example:
            >>> len(store), "a1" in store
            (1, True)
        """
        now = trio.current_time()
        return sum(1 for entry in self._entries.values() if not self._expired(entry, now))

    def __contains__(self, agent_id: object) -> bool:
        return isinstance(agent_id, str) and self._live(agent_id, trio.current_time()) is not None

    # -- requests ---------------------------------------------------------------------------

    def register(self, request: RegisterRequest) -> tuple[AgentRecord, bool]:
        """Add or update an agent; ``(record, created)``. Registering counts as a heartbeat.

        Re-registering an id updates its name, capabilities, address and metadata and keeps
        its ``registered_at``.

        Raises:
            RegistryError: ``invalid_request`` (empty id, bad address, bad tags) or
                ``registry_full`` (``config.max_agents`` agents are already held).

        Example:
            >>> record, created = store.register(RegisterRequest(
            ...     id="a1", name="echo", capabilities=["demo.echo"], address="127.0.0.1:9000",
            ...     metadata={"version": "1.0.0", "tags": '["demo"]'}))
            >>> record.version, record.tags, created
            ('1.0.0', ['demo'], True)
        """
        if not request.id:
            raise RegistryError(
                "invalid RegisterRequest body: agent id must not be empty - at `$.id`",
                code="invalid_request",
            )
        try:
            address = format_address(*parse_address(request.address))
        except ValueError as error:
            raise RegistryError(
                f"invalid RegisterRequest body: {error} - at `$.address`", code="invalid_request"
            ) from None
        metadata = parse_metadata(request.metadata)
        now = trio.current_time()
        wall = self.wall_clock()
        entry = self._live(request.id, now)
        if entry is not None:
            self._unindex(entry)
            entry.update(request, address, metadata, now, wall)
            self._index(entry)
            logger.info(
                "agent %s (%s) re-registered at %s with capabilities %s",
                entry.id,
                entry.name,
                entry.address,
                entry.capabilities,
            )
            return self._record(entry, now), False
        if len(self._entries) >= self.config.max_agents:
            self.sweep()
            if len(self._entries) >= self.config.max_agents:
                raise RegistryError(
                    f"registry full: {len(self._entries)} agents registered "
                    f"(max_agents={self.config.max_agents}); deregister agents or raise "
                    "RegistryConfig.max_agents",
                    code="registry_full",
                )
        entry = _Entry(request, address, metadata, now, wall)
        self._entries[entry.id] = entry
        self._index(entry)
        logger.info(
            "agent %s (%s) registered at %s with capabilities %s",
            entry.id,
            entry.name,
            entry.address,
            entry.capabilities,
        )
        return self._record(entry, now), True

    def heartbeat(self, agent_id: str) -> AgentRecord | None:
        """Record a heartbeat; the agent's record, or ``None`` if the agent is unknown.

        A heartbeat brings an Offline (not yet evicted) agent back Online.

        Example:
            >>> store.heartbeat("a1").status, store.heartbeat("unknown")
            (<AgentStatus.ONLINE: 'Online'>, None)
        """
        now = trio.current_time()
        entry = self._live(agent_id, now)
        if entry is None:
            logger.info("heartbeat from unknown agent %s: asking it to register", agent_id)
            return None
        if self._status(entry, now) is AgentStatus.OFFLINE or entry.offline_reported:
            logger.info("agent %s (%s) is back Online", entry.id, entry.name)
        entry.last_seen = now
        entry.last_heartbeat = self.wall_clock()
        entry.offline_reported = False
        logger.debug("heartbeat from agent %s", agent_id)
        return self._record(entry, now)

    def deregister(self, agent_id: str) -> bool:
        """Remove an agent; ``True`` if it was registered.

        Example:
            >>> store.deregister("a1"), store.deregister("a1")
            (True, False)
        """
        entry = self._live(agent_id, trio.current_time())
        if entry is None:
            logger.info("deregistration of unknown agent %s (already gone)", agent_id)
            return False
        self._remove(entry)
        logger.info("agent %s (%s) deregistered", entry.id, entry.name)
        return True

    # -- queries ----------------------------------------------------------------------------

    def discover(self, capability: str) -> list[AgentRecord]:
        """Online and Degraded agents that advertise ``capability`` (exact match).

        ``"*"`` matches every agent. Agents come in registration order.

        Example:
            >>> [record.id for record in store.discover("demo.echo")]
            ['a1']
        """
        now = trio.current_time()
        if capability == ALL_CAPABILITIES:
            candidates = list(self._entries.values())
        else:
            ids = self._by_capability.get(capability, {})
            candidates = [self._entries[agent_id] for agent_id in ids]
        records: list[AgentRecord] = []
        for entry in candidates:
            if self._expired(entry, now):
                self._remove(entry)
                continue
            record = self._record(entry, now)
            if record.status is not AgentStatus.OFFLINE:
                records.append(record)
        return records

    def list_agents(self) -> list[AgentRecord]:
        """Every agent still held, Offline ones included, in registration order.

        Example:
            >>> [(record.id, record.status.value) for record in store.list_agents()]
            [('a1', 'Offline')]
        """
        self.sweep()
        now = trio.current_time()
        return [self._record(entry, now) for entry in self._entries.values()]

    def get(self, agent_id: str) -> AgentRecord | None:
        """One agent's record, or ``None`` if it is not (or no longer) registered.

        Example:
            >>> store.get("a1").address
            '127.0.0.1:9000'
        """
        now = trio.current_time()
        entry = self._live(agent_id, now)
        return None if entry is None else self._record(entry, now)

    def sweep(self) -> SweepReport:
        """Log agents that went Offline and evict expired ones; the server runs it periodically.

        Statuses and evictions are exact on every read whether or not this runs; the sweep
        bounds memory and reports transitions.

        Example:
            >>> store.sweep()
            SweepReport(went_offline=['a1'], evicted=[])
        """
        now = trio.current_time()
        went_offline: list[str] = []
        evicted: list[str] = []
        for entry in list(self._entries.values()):
            if self._expired(entry, now):
                self._remove(entry)
                evicted.append(entry.id)
                logger.info(
                    "agent %s (%s) evicted: no heartbeat for %.1f s",
                    entry.id,
                    entry.name,
                    now - entry.last_seen,
                )
            elif not entry.offline_reported and self._status(entry, now) is AgentStatus.OFFLINE:
                entry.offline_reported = True
                went_offline.append(entry.id)
                logger.warning(
                    "agent %s (%s) is Offline: no heartbeat for %.1f s",
                    entry.id,
                    entry.name,
                    now - entry.last_seen,
                )
        return SweepReport(went_offline=went_offline, evicted=evicted)

    # -- internals --------------------------------------------------------------------------

    def _status(self, entry: _Entry, now: float) -> AgentStatus:
        if now - entry.last_seen > self.config.offline_after:
            return AgentStatus.OFFLINE
        return AgentStatus.ONLINE

    def _expired(self, entry: _Entry, now: float) -> bool:
        return now - entry.last_seen > self.config.evict_after

    def _live(self, agent_id: str, now: float) -> _Entry | None:
        entry = self._entries.get(agent_id)
        if entry is not None and self._expired(entry, now):
            self._remove(entry)
            logger.info("agent %s (%s) evicted: no heartbeat", entry.id, entry.name)
            return None
        return entry

    def _record(self, entry: _Entry, now: float) -> AgentRecord:
        return AgentRecord(
            id=entry.id,
            name=entry.name,
            version=entry.version,
            description=entry.description,
            capabilities=list(entry.capabilities),
            tags=list(entry.tags),
            address=entry.address,
            status=self._status(entry, now),
            last_heartbeat=entry.last_heartbeat,
            registered_at=entry.registered_at,
        )

    def _index(self, entry: _Entry) -> None:
        for capability in entry.capabilities:
            self._by_capability.setdefault(capability, {})[entry.id] = None

    def _unindex(self, entry: _Entry) -> None:
        for capability in entry.capabilities:
            ids = self._by_capability.get(capability)
            if ids is not None:
                ids.pop(entry.id, None)
                if not ids:
                    del self._by_capability[capability]

    def _remove(self, entry: _Entry) -> None:
        self._unindex(entry)
        self._entries.pop(entry.id, None)
