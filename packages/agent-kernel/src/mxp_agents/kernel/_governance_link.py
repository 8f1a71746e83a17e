"""`GovernanceLink`: how `MxpApprovals` and `MxpAuditSink` reach a governance agent - one
address, or the first server of a capability found through the registry - and what its
answers and errors mean."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

import msgspec

from mxp import MessageType
from mxp.bodies import parse_address
from mxp.registry import RegistryClient, RegistryError
from mxp.transport import EndpointClosed, RemoteError, RequestTimeout, StreamError, new_message
from mxp_agents.kernel._call_response import CallErrorBody
from mxp_agents.kernel._kernel import current_kernel
from mxp_agents.kernel._mxp_probe import where
from mxp_agents.kernel._mxp_target import is_registry, split_target

if TYPE_CHECKING:
    from mxp.transport import Address, Endpoint

__all__ = ["GovernanceFailure", "GovernanceLink"]

_error: Final = msgspec.json.Decoder(CallErrorBody)


class GovernanceFailure(Exception):
    """A governance Call that got no answer, or an Error (``code``: the Error's, or
    ``timeout`` / ``transport`` / ``unreachable``); each client raises it as its own error.

    Example:
        >>> GovernanceFailure("approval_error", "no approval 'x'").code
        'approval_error'
    """

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code


class GovernanceLink:
    """The route to one governance agent.

    Raises:
        ValueError: a bad target, registry or timeout (the message names it).

    Example:
        >>> link = GovernanceLink("127.0.0.1:7001", endpoint=endpoint, registry=None,
        ...                       timeout=10.0)
    """

    def __init__(
        self, target: object, *, endpoint: Endpoint | None, registry: str | None, timeout: float
    ) -> None:
        self.address, self.capability, self.target = split_target(target, "governance.approvals")
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)  # pyright: ignore[reportUnnecessaryIsInstance]
            or not math.isfinite(timeout)
            or timeout <= 0
        ):
            raise ValueError(f"timeout must be a finite number of seconds > 0, got {timeout!r}")
        if registry is not None and not is_registry(registry):
            raise ValueError(f"registry must be 'ip:port', got {registry!r}")
        self.endpoint: Final = endpoint
        self.registry: Final = registry
        self.timeout: Final = float(timeout)
        self._found: Address | None = None

    async def call(self, body: bytes, *, wait: float | None = None) -> bytes:
        """Send one Call and return its Response body; ``wait`` seconds at most (default
        ``timeout``).

        Raises:
            GovernanceFailure: no answer, an Error reply, nothing found for the capability.

        Example:
            >>> answer = await link.call(b'{"op": "list"}')  # doctest: +SKIP
        """
        endpoint = self._endpoint()
        peer = await self._peer(endpoint)
        patience = self.timeout if wait is None else wait
        try:
            reply = await endpoint.request(new_message(MessageType.CALL, body), peer, patience)
        except RequestTimeout:
            self._found = None
            raise GovernanceFailure(
                "timeout", f"no answer from the governance agent at {where(peer)} within "
                f"{patience:g} s"
            ) from None  # fmt: skip
        except (RemoteError, StreamError, EndpointClosed) as error:
            self._found = None
            raise GovernanceFailure(
                "transport", f"governance agent at {where(peer)}: {error}"
            ) from None
        if reply.type is MessageType.ERROR:
            try:
                failure = _error.decode(reply.payload)
            except msgspec.MsgspecError:
                failure = CallErrorBody(error=bytes(reply.payload).decode(errors="replace"),
                                        code="unknown")  # fmt: skip
            raise GovernanceFailure(
                failure.code, f"governance agent at {where(peer)}: {failure.error}"
            )
        if reply.type is not MessageType.RESPONSE:
            raise GovernanceFailure(
                "protocol", f"governance agent at {where(peer)} answered a {reply.type.name}"
            )
        return bytes(reply.payload)

    def _endpoint(self) -> Endpoint:
        if self.endpoint is not None:
            return self.endpoint
        kernel = current_kernel()
        if kernel is None:
            raise GovernanceFailure(
                "unreachable", f"no MXP endpoint to reach the governance agent {self.target!r}: "
                "run the agent in a Kernel, or pass endpoint="
            )  # fmt: skip
        return kernel.endpoint

    async def _peer(self, endpoint: Endpoint) -> Address:
        if self.address is not None:
            return self.address
        if self._found is not None:
            return self._found
        kernel = current_kernel()
        registry = self.registry
        if registry is None and kernel is not None:
            registry = kernel.config.registry
        if registry is None:
            raise GovernanceFailure(
                "unreachable", f"the governance agent {self.target!r} is found through a "
                "registry, but none is configured: pass registry= or run in a Kernel with one"
            )  # fmt: skip
        assert self.capability is not None
        try:
            found = await RegistryClient(endpoint, registry).discover(self.capability)
        except RegistryError as error:
            raise GovernanceFailure(
                "unreachable", f"cannot discover {self.capability!r}: {error}"
            ) from None
        for record in found:
            try:
                self._found = parse_address(record.address)
            except ValueError:
                continue
            return self._found
        raise GovernanceFailure(
            "unreachable", f"no governance agent with capability {self.capability!r} is "
            f"registered at {registry}"
        )  # fmt: skip
