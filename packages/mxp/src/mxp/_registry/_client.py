"""`RegistryClient`: register, heartbeat, deregister and discover over an MXP `Endpoint`.

The maintenance loop follows the reference runtime: register (retrying with a back-off of 1 s
doubling to 30 s), heartbeat every 10 s, register again after 3 consecutive heartbeat failures,
and at once when the registry answers ``needs_register``.
"""

from __future__ import annotations

import functools
import logging
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final, NoReturn, TypeVar

import trio

from mxp._errors import MxpError
from mxp._message import Message
from mxp._registry._config import RegistryClientConfig
from mxp._registry._errors import RegistrationRequired, RegistryConfigError, RegistryError
from mxp._types import Flags, MessageType
from mxp.bodies import (
    AgentRecord,
    BodyError,
    DiscoverRequest,
    DiscoverResponse,
    ErrorResponse,
    HeartbeatRequest,
    HeartbeatResponse,
    RegisterResponse,
    decode_body,
    encode_body,
    format_address,
    parse_address,
)
from mxp.transport import RequestTimeout, StreamError, current_trace_id

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    import msgspec

    from mxp._registry._registration import Registration
    from mxp.transport import Address, Endpoint

logger: Final = logging.getLogger("mxp.registry")
PERMANENT_CODES: Final = frozenset({"invalid_request", "unsupported"})
"""Error codes that registering again cannot fix: `RegistryClient.maintain` raises them."""
_T = TypeVar("_T")


class RegistrationStatus:
    """Live state of one `RegistryClient.maintain` loop; read it, do not set it.

    Example:
        >>> async with client.keep_registered(registration) as status:
        ...     print(status.registered, status.registrations)
        True 1
    """

    __slots__ = (
        "agent_id",
        "consecutive_failures",
        "heartbeats",
        "last_error",
        "registered",
        "registrations",
    )

    def __init__(self, agent_id: str) -> None:
        self.agent_id: str = agent_id
        self.registered: bool = False
        """Whether the last registration or heartbeat succeeded."""
        self.registrations: int = 0
        """Successful registrations (the first one and every re-registration)."""
        self.heartbeats: int = 0
        """Successful heartbeats."""
        self.consecutive_failures: int = 0
        """Heartbeats that failed in a row since the last success."""
        self.last_error: str | None = None
        """The last failure's message, if any."""

    def __repr__(self) -> str:
        return (
            f"RegistrationStatus(agent_id={self.agent_id!r}, registered={self.registered}, "
            f"registrations={self.registrations}, heartbeats={self.heartbeats}, "
            f"consecutive_failures={self.consecutive_failures}, last_error={self.last_error!r})"
        )


class RegistryClient:
    """Talks to an MXP registry through an existing `Endpoint` (its socket and receive loop).

    ``registry_address`` is ``(host, port)`` or ``"ip:port"``. Every request waits at most
    ``config.request_timeout``; failures raise `RegistryError` carrying the registry's message
    and code.

    Example:
        >>> async with Endpoint.bind("127.0.0.1", 0) as endpoint:
        ...     client = RegistryClient(endpoint, "127.0.0.1:50051")
        ...     registration = Registration(
        ...         id="a1", name="echo", capabilities=["demo.echo"],
        ...         address=format_address(*endpoint.local_address))
        ...     async with client.keep_registered(registration):
        ...         agents = await client.discover("math.add")
    """

    def __init__(
        self,
        endpoint: Endpoint,
        registry_address: Address | str,
        *,
        config: RegistryClientConfig | None = None,
    ) -> None:
        self.endpoint: Final = endpoint
        if isinstance(registry_address, str):
            try:
                registry_address = parse_address(registry_address)
            except ValueError as error:
                raise RegistryConfigError(
                    f"RegistryClient registry_address: {error}; or pass (host, port)"
                ) from None
        self.registry_address: Final[Address] = registry_address
        self.config: Final = config if config is not None else RegistryClientConfig()
        host, port = registry_address
        try:
            self._where = format_address(host, port)
        except ValueError:  # a host name: the transport resolves it
            self._where = f"{host}:{port}"

    # -- one request each -------------------------------------------------------------------

    async def register(self, registration: Registration) -> RegisterResponse:
        """Register (or re-register) an agent.

        Raises:
            RegistryError: the registry rejected it (``invalid_request``, ``registry_full``,
                ``rejected``) or did not answer in time (``timeout``).

        Example:
            >>> (await client.register(registration)).success
            True
        """
        reply = await self._request(
            MessageType.AGENT_REGISTER, registration.to_request(), "register"
        )
        response = self._decode(reply, RegisterResponse, "register")
        if not response.success:
            raise RegistryError(
                f"registry at {self._where} rejected the registration of agent "
                f"{registration.id!r}: {response.message}",
                code="rejected",
            )
        return response

    async def heartbeat(self, agent_id: str) -> HeartbeatResponse:
        """Send one heartbeat.

        Raises:
            RegistrationRequired: the registry does not know the agent; register it again.
            RegistryError: any other failure.

        Example:
            >>> (await client.heartbeat("a1")).success
            True
        """
        reply = await self._request(
            MessageType.AGENT_HEARTBEAT, HeartbeatRequest(agent_id=agent_id), "heartbeat"
        )
        response = self._decode(reply, HeartbeatResponse, "heartbeat")
        if response.needs_register:
            raise RegistrationRequired(
                f"registry at {self._where} requested re-registration of agent {agent_id!r}: "
                f"{response.message or 'agent is not registered'}",
                code="not_found",
            )
        if not response.success:
            raise RegistryError(
                f"registry at {self._where} rejected the heartbeat of agent {agent_id!r}: "
                f"{response.message or 'heartbeat rejected'}",
                code="rejected",
            )
        return response

    async def deregister(self, agent_id: str) -> HeartbeatResponse:
        """Remove an agent (an AgentHeartbeat with the FINAL flag). Idempotent.

        Example:
            >>> (await client.deregister("a1")).success
            True
        """
        reply = await self._request(
            MessageType.AGENT_HEARTBEAT,
            HeartbeatRequest(agent_id=agent_id),
            "deregister",
            flags=Flags.FINAL,
        )
        response = self._decode(reply, HeartbeatResponse, "deregister")
        if not response.success:
            raise RegistryError(
                f"registry at {self._where} rejected the deregistration of agent {agent_id!r}: "
                f"{response.message or 'deregister failed'}",
                code="rejected",
            )
        return response

    async def discover(self, capability: str) -> list[AgentRecord]:
        """Agents that advertise ``capability`` (``"*"``: every agent), as the registry lists them.

        Example:
            >>> [agent.name for agent in await client.discover("math.add")]
            ['math']
        """
        reply = await self._request(
            MessageType.AGENT_DISCOVER, DiscoverRequest(capability=capability), "discover"
        )
        return self._decode(reply, DiscoverResponse, "discover").agents

    # -- staying registered -----------------------------------------------------------------

    async def maintain(
        self,
        registration: Registration,
        *,
        status: RegistrationStatus | None = None,
        task_status: trio.TaskStatus[RegistrationStatus] = trio.TASK_STATUS_IGNORED,
    ) -> NoReturn:
        """Keep ``registration`` registered until cancelled; does not deregister.

        Reports the `RegistrationStatus` through ``task_status`` once the first registration
        succeeded, so ``await nursery.start(client.maintain, registration)`` returns when the
        agent is discoverable. Bound that wait with ``trio.fail_after`` (or use
        `keep_registered`): while the registry is unreachable registration is retried forever.

        Raises:
            RegistryError: the registry answered ``invalid_request``, or the peer is no registry
                (``unsupported``): retrying cannot help.

        Example:
            >>> status = await nursery.start(client.maintain, registration)
        """
        config = self.config
        status = status if status is not None else RegistrationStatus(registration.id)
        started = False
        delay = config.initial_retry_delay
        while True:
            try:
                await self.register(registration)
            except RegistryError as error:
                status.registered = False
                status.last_error = str(error)
                if error.code in PERMANENT_CODES:
                    raise
                logger.warning(
                    "registration of agent %s failed; retrying in %.1f s: %s",
                    registration.id,
                    delay,
                    error,
                )
                await trio.sleep(delay)
                delay = min(delay * 2, config.max_retry_delay)
                continue
            delay = config.initial_retry_delay
            status.registered = True
            status.registrations += 1
            status.consecutive_failures = 0
            logger.info("agent %s registered with the registry at %s", registration.id, self._where)
            if not started:
                started = True
                task_status.started(status)
            await self._heartbeat_until_lost(registration.id, status)

    async def _heartbeat_until_lost(self, agent_id: str, status: RegistrationStatus) -> None:
        """Heartbeat every interval; return when the agent must register again."""
        config = self.config
        interval = config.heartbeat_interval
        deadline = trio.current_time() + interval
        while True:
            await trio.sleep_until(deadline)
            try:
                await self.heartbeat(agent_id)
            except RegistrationRequired as error:
                status.registered = False
                status.last_error = str(error)
                logger.warning("%s; registering again now", error)
                return
            except RegistryError as error:
                status.consecutive_failures += 1
                status.last_error = str(error)
                logger.warning(
                    "heartbeat %d/%d of agent %s failed: %s",
                    status.consecutive_failures,
                    config.max_consecutive_failures,
                    agent_id,
                    error,
                )
                if status.consecutive_failures >= config.max_consecutive_failures:
                    status.registered = False
                    logger.warning(
                        "%d heartbeats of agent %s failed in a row; registering again",
                        status.consecutive_failures,
                        agent_id,
                    )
                    return
            else:
                status.heartbeats += 1
                status.consecutive_failures = 0
                status.registered = True
            # Like a tokio interval with MissedTickBehavior::Delay: a late tick shifts the rest.
            deadline = max(deadline + interval, trio.current_time())

    @asynccontextmanager
    async def keep_registered(
        self, registration: Registration, *, register_timeout: float | None = None
    ) -> AsyncGenerator[RegistrationStatus]:
        """Register, heartbeat in the background, and deregister once on exit.

        Waits at most ``register_timeout`` (default ``config.register_timeout``) for the first
        registration. The deregistration on exit waits at most ``config.deregister_timeout``,
        also when the block is cancelled; if it fails it is logged (the registry then marks the
        agent Offline and evicts it), not raised.

        Raises:
            RegistryError: the first registration did not succeed within ``register_timeout``
                (code ``timeout``) or was refused for good (``invalid_request``,
                ``unsupported``).

        Example:
            >>> async with client.keep_registered(registration) as status:
            ...     await serve_calls()
        """
        limit = self.config.register_timeout if register_timeout is None else register_timeout
        status = RegistrationStatus(registration.id)
        lone: BaseException | None = None
        try:
            async with trio.open_nursery() as nursery:
                with trio.move_on_after(limit) as scope:
                    await nursery.start(
                        functools.partial(self.maintain, registration, status=status)
                    )
                if scope.cancelled_caught:
                    raise RegistryError(
                        f"agent {registration.id!r} could not register with the registry at "
                        f"{self._where} within {limit} s (last error: {status.last_error}); "
                        "check that the registry is running there",
                        code="timeout",
                    )
                try:
                    yield status
                finally:
                    nursery.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            # The nursery wraps what the block raised; give the caller its own exception.
            if len(group.exceptions) != 1:
                raise
            lone = group.exceptions[0]
        finally:
            if status.registrations:
                await self._deregister_on_exit(registration.id)
        if lone is not None:
            raise lone

    async def _deregister_on_exit(self, agent_id: str) -> None:
        with trio.move_on_after(self.config.deregister_timeout, shield=True) as scope:
            try:
                await self.deregister(agent_id)
            except MxpError as error:  # RegistryError, or the endpoint was already closed
                logger.warning("deregistration of agent %s failed: %s", agent_id, error)
            else:
                logger.info("agent %s deregistered", agent_id)
        if scope.cancelled_caught:
            logger.warning(
                "deregistration of agent %s got no reply within %.1f s",
                agent_id,
                self.config.deregister_timeout,
            )

    # -- internals --------------------------------------------------------------------------

    async def _request(
        self,
        message_type: MessageType,
        body: msgspec.Struct,
        what: str,
        *,
        flags: Flags = Flags.NONE,
    ) -> Message:
        message = Message.new(
            message_type, encode_body(body), flags=flags, trace_id=current_trace_id()
        )
        timeout = self.config.request_timeout
        try:
            reply = await self.endpoint.request(message, self.registry_address, timeout=timeout)
        except RequestTimeout:
            raise RegistryError(
                f"{what}: no reply from the registry at {self._where} within {timeout} s; check "
                "that a registry is running there (e.g. `python -m mxp registry`)",
                code="timeout",
            ) from None
        except StreamError as error:  # a body too large for one datagram failed in transit
            raise RegistryError(
                f"{what}: exchange with the registry at {self._where} failed: {error}",
                code="transport",
            ) from None
        if reply.type is MessageType.ERROR:
            try:
                error = decode_body(reply.payload, ErrorResponse)
            except BodyError as bad:
                raise RegistryError(
                    f"{what}: the registry at {self._where} sent an unreadable Error frame: {bad}",
                    code="protocol",
                ) from None
            raise RegistryError(
                f"{what} refused by the registry at {self._where}: {error.error}", code=error.code
            )
        if reply.type is not MessageType.RESPONSE:
            raise RegistryError(
                f"{what}: the registry at {self._where} answered with a {reply.type.name} frame; "
                "expected Response or Error",
                code="protocol",
            )
        return reply

    def _decode(self, reply: Message, body_type: type[_T], what: str) -> _T:
        try:
            return decode_body(reply.payload, body_type)
        except BodyError as error:
            raise RegistryError(
                f"{what}: unreadable reply from the registry at {self._where}: {error}",
                code="protocol",
            ) from None
