"""The MXP registry: an embedded server, its client, and the registration record.

Wire-compatible with the Rust runtime's registry protocol (AgentRegister / AgentDiscover /
AgentHeartbeat; deregistration is an AgentHeartbeat with the FINAL flag).

Behaviour:

- Discover matches a capability id exactly; ``"*"`` matches every agent. It returns Online and
  Degraded agents only; `RegistryServer.list_agents` also returns Offline ones.
- An agent is Offline once its last heartbeat (or registration) is older than
  ``RegistryConfig.heartbeat_interval * missed_heartbeats`` (default 3 x 10 s), and evicted once
  older than ``evict_after`` (default 120 s). A heartbeat brings an Offline agent back Online.
- Re-registering an id updates the record and keeps ``registered_at``. A heartbeat from an
  unknown agent is answered ``success: false, needs_register: true``. Deregistering is
  idempotent. Past ``max_agents`` a new registration gets an Error ``registry_full``.
- `RegistryClient` heartbeats every 10 s, retries registration after 1 s doubling to 30 s,
  registers again after 3 failed heartbeats in a row, or at once on ``needs_register``.

Example:
    >>> import trio
    >>> from mxp.registry import RegistryServer, RegistryClient, Registration
    >>> from mxp.transport import Endpoint
    >>> from mxp.bodies import format_address
    >>> async def main() -> None:
    ...     async with (
    ...         RegistryServer.open("127.0.0.1", 0) as server,
    ...         Endpoint.bind("127.0.0.1", 0) as endpoint,
    ...     ):
    ...         client = RegistryClient(endpoint, server.address)
    ...         registration = Registration(
    ...             id="a1", name="echo", capabilities=["demo.echo"],
    ...             address=format_address(*endpoint.local_address))
    ...         async with client.keep_registered(registration):
    ...             print([agent.name for agent in await client.discover("demo.echo")])
    >>> trio.run(main)
    ['echo']
"""

from mxp._registry._client import RegistrationStatus, RegistryClient
from mxp._registry._config import RegistryClientConfig, RegistryConfig
from mxp._registry._errors import RegistrationRequired, RegistryConfigError, RegistryError
from mxp._registry._protocol import handle_message
from mxp._registry._registration import DEFAULT_VERSION, Registration, parse_metadata
from mxp._registry._server import RegistryServer
from mxp._registry._store import ALL_CAPABILITIES, RegistryStore, SweepReport
from mxp.bodies import AgentRecord, AgentStatus

__all__ = [
    "ALL_CAPABILITIES",
    "DEFAULT_VERSION",
    "AgentRecord",
    "AgentStatus",
    "Registration",
    "RegistrationRequired",
    "RegistrationStatus",
    "RegistryClient",
    "RegistryClientConfig",
    "RegistryConfig",
    "RegistryConfigError",
    "RegistryError",
    "RegistryServer",
    "RegistryStore",
    "SweepReport",
    "handle_message",
    "parse_metadata",
]
