"""Where an `MxpModel`'s calls go: one address, or the servers of a capability found through
the registry (cached, taken in turn), with failover to the next server when one is unreachable
or refuses for a passing reason (see `mxp_agents.kernel._mxp_probe`).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Final, TypeVar

import trio

from mxp.bodies import parse_address
from mxp.registry import RegistryClient, RegistryError
from mxp_agents.adapters import ModelError, TransientModelError
from mxp_agents.kernel._kernel import current_kernel
from mxp_agents.kernel._mxp_probe import PROBE_AFTER, PeerUnavailable, raced, where

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from mxp.bodies import AgentRecord
    from mxp.transport import Address, Endpoint
    from mxp_agents.primitives import CapabilityId

__all__ = ["Route"]

T = TypeVar("T")
CACHE_TTL: Final = 5.0
"""Seconds a discovery answer is reused."""


class Route:
    """The servers of one `MxpModel` and how to reach them.

    Example:
        >>> route = Route(address=("127.0.0.1", 7001), capability=None, endpoint=None,
        ...               registry=None, connect_timeout=2.0, model="127.0.0.1:7001")
    """

    def __init__(
        self,
        *,
        address: Address | None,
        capability: CapabilityId | None,
        endpoint: Endpoint | None,
        registry: Address | str | None,
        connect_timeout: float,
        model: str,
    ) -> None:
        self.address: Final = address
        self.capability: Final = capability
        self.endpoint: Final = endpoint
        self.registry: Final = registry
        self.connect_timeout: Final = connect_timeout
        self._model = model
        self._cache: tuple[float, list[AgentRecord]] | None = None
        self._turn = itertools.count()

    async def call(
        self, attempt: Callable[[Endpoint, Address], Awaitable[T]], patience: float | None
    ) -> T:
        """``attempt`` at the target, or at each discovered server in turn until one takes it.

        ``patience`` (the model's timeout) caps the probe's wait at half of it (less
        `PROBE_AFTER`). ``attempt`` raises `PeerUnavailable` to move on to the next server.

        Raises:
            ModelError: the last server's failure, or none could be found.

        Example:
            >>> reply = await route.call(send_call, patience=60.0)  # doctest: +SKIP
        """
        endpoint = self._endpoint()
        wait = self.connect_timeout
        if patience is not None:
            wait = min(wait, max(patience / 2 - PROBE_AFTER, PROBE_AFTER))
        if self.address is not None:
            try:
                return await raced(endpoint, self.address, attempt, wait=wait, model=self._model)
            except PeerUnavailable as gone:
                raise gone.error from None
        registry, own_id = self._registry(endpoint)
        last: ModelError | None = None
        tried: set[str] = set()
        for refresh in (False, True):
            peers, fresh = await self._peers(registry, own_id, refresh=refresh)
            for peer in peers:
                if peer.id in tried:
                    continue
                tried.add(peer.id)
                try:
                    address = parse_address(peer.address)
                except ValueError:
                    last = self._error(f"server {peer.name!r} registered a bad address")
                    self._drop(peer.id)
                    continue
                try:
                    return await raced(endpoint, address, attempt, wait=wait, model=self._model)
                except PeerUnavailable as gone:
                    last = gone.error
                    self._drop(peer.id)
            if fresh:
                break
        if last is not None:
            raise last
        raise self._error(
            f"no model server with capability {self.capability!r} is registered at the "
            f"registry {where(registry.registry_address)}"
        )

    # -- one server --------------------------------------------------------------------------

    # -- resolving ---------------------------------------------------------------------------

    def _endpoint(self) -> Endpoint:
        if self.endpoint is not None:
            return self.endpoint
        kernel = current_kernel()
        if kernel is None:
            raise ModelError(
                f"MxpModel {self._model!r} has no MXP endpoint: run the agent in a Kernel (its "
                "endpoint is used), or pass endpoint= to MxpModel",
                provider="mxp",
                model=self._model,
            )
        return kernel.endpoint

    def _registry(self, endpoint: Endpoint) -> tuple[RegistryClient, str | None]:
        kernel = current_kernel()
        registry = self.registry
        if registry is None and kernel is not None:
            registry = kernel.config.registry
        if registry is None:
            raise ModelError(
                f"MxpModel {self._model!r} finds servers of {self.capability!r} through a "
                "registry but has none: run the agent in a Kernel configured with a registry, "
                "pass registry='ip:port', or aim MxpModel at an address",
                provider="mxp",
                model=self._model,
            )
        own_id = kernel.agent_id if kernel is not None else None
        return RegistryClient(endpoint, registry), own_id

    async def _peers(
        self, registry: RegistryClient, own_id: str | None, *, refresh: bool
    ) -> tuple[list[AgentRecord], bool]:
        """The servers to try, in turn order, and whether they were discovered just now."""
        now = trio.current_time()
        cached = self._cache
        fresh = refresh or cached is None or cached[0] <= now or not cached[1]
        if fresh:
            assert self.capability is not None
            try:
                found = await registry.discover(self.capability)
            except RegistryError as error:
                raise self._error(
                    f"cannot discover model servers with {self.capability!r}: {error}"
                ) from None
            cached = self._cache = (now + CACHE_TTL, [r for r in found if r.id != own_id])
        assert cached is not None
        peers = cached[1]
        if not peers:
            return [], fresh
        start = next(self._turn) % len(peers)
        return peers[start:] + peers[:start], fresh

    def _drop(self, peer_id: str) -> None:
        cached = self._cache
        if cached is not None:
            self._cache = (cached[0], [peer for peer in cached[1] if peer.id != peer_id])

    def _error(self, text: str) -> TransientModelError:
        return TransientModelError(text, provider="mxp", model=self._model)
