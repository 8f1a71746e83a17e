"""A kernel's registration with the MXP registry: what it registers, and staying registered
(heartbeats) until it retires, when the registration is withdrawn once."""

from __future__ import annotations

import ipaddress
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from mxp.bodies import format_address, parse_address
from mxp.registry import Registration, RegistryClient, RegistryError
from mxp_agents.kernel._config import KernelConfigError
from mxp_agents.kernel._errors import KernelError

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable, Sequence

    from mxp.registry import RegistrationStatus
    from mxp.transport import Endpoint
    from mxp_agents.kernel._config import KernelConfig

__all__ = ["registration_for", "stay_registered"]


def registration_for(
    config: KernelConfig,
    endpoint: Endpoint,
    *,
    agent_id: str,
    name: str,
    capabilities: Sequence[str],
) -> Registration:
    """What the kernel registers: its id, name, capabilities, reachable address and metadata.

    Raises:
        KernelConfigError: the endpoint is bound to an unspecified address (``0.0.0.0``) and
            no ``advertise_address`` says where peers can reach it.

    Example:
        >>> registration_for(config, endpoint, agent_id="a1", name="w", capabilities=["x"])
        Registration(id='a1', name='w', capabilities=['x'], address='127.0.0.1:54321', ...)
    """
    address = config.advertise_address
    if address is None:
        host, port = endpoint.local_address
        if ipaddress.ip_address(host).is_unspecified:
            raise KernelConfigError(
                f"KernelConfig.advertise_address: the kernel binds {host}, which peers cannot "
                "call; set advertise_address to the 'ip:port' they can reach"
            )
        address = format_address(host, port)
    return Registration(
        id=agent_id,
        name=name,
        capabilities=list(capabilities),
        address=address,
        version=config.version,
        description=config.description,
        tags=list(config.tags),
    )


@asynccontextmanager
async def stay_registered(
    config: KernelConfig,
    registry: str,
    endpoint: Endpoint,
    registration: Registration,
    *,
    on_status: Callable[[RegistrationStatus], None],
    before_leaving: Callable[[], None],
) -> AsyncGenerator[None]:
    """Register at ``registry`` (``"ip:port"``), heartbeat in the background, and deregister
    once when the block ends (settings from ``config.registry_client``).

    ``on_status`` receives the live `RegistrationStatus`; ``before_leaving`` runs before the
    registration is withdrawn (the kernel retires there, refusing new calls).

    Raises:
        KernelError: the first registration failed (no registry, refused, timed out).

    Example:
        >>> async with stay_registered(config, "127.0.0.1:50051", endpoint, registration,
        ...                            on_status=print, before_leaving=lambda: None):
        ...     await serve()
    """
    client = RegistryClient(endpoint, parse_address(registry), config=config.registry_client)
    try:
        async with client.keep_registered(registration) as status:
            on_status(status)
            try:
                yield
            finally:
                before_leaving()
    except RegistryError as error:  # only the first registration raises it
        raise KernelError(f"agent {registration.name!r} could not register: {error}") from error
