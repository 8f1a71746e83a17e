"""Serving governance over MXP: `serve_governance` puts an `ApprovalStore` on the mesh as a
governance agent (a `Kernel` hosting a `GovernanceService`) that receives approval requests as
Calls and answers them - by its ``decide`` callback, or once someone sharing the store (the
CLI, another governance call) decides - and records the audit events agents send it.

Agents reach it with `MxpApprovals` (their ``approvals=``) and `MxpAuditSink`. The wire format
is in `mxp_agents.kernel._governance_service`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec

from mxp_agents.kernel._config import KernelConfig, KernelConfigError
from mxp_agents.kernel._governance_service import GovernanceService
from mxp_agents.kernel._served import ServedKernel
from mxp_agents.policy import ApprovalStore
from mxp_agents.primitives import InvalidCapabilityId, parse_capability_id

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

    from mxp_agents.kernel._governance_service import AuditHandler, Decider

__all__ = ["GOVERNANCE_CAPABILITY", "GovernanceServer", "serve_governance"]

GOVERNANCE_CAPABILITY: Final = "governance.approvals"
"""Advertised by a governance agent (unless ``capability`` is given)."""


class GovernanceServer(ServedKernel):
    """An approval store served over MXP as a governance agent: runs like a `Kernel` (build it
    with `serve_governance`).

    Example:
        >>> async with serve_governance(FileApprovalStore("approvals")).running() as server:
        ...     print(server.address, server.capability)
        ('127.0.0.1', 54321) governance.approvals
    """

    def __init__(
        self,
        store: ApprovalStore,
        *,
        decide: Decider | None = None,
        on_audit: AuditHandler | None = None,
        name: str | None = None,
        capability: str | None = None,
        config: KernelConfig | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        if not isinstance(store, ApprovalStore):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise KernelConfigError(
                f"serve_governance: store must be an ApprovalStore, got {type(store).__name__}"
            )
        for label, given in (("decide", decide), ("on_audit", on_audit)):
            if given is not None and not callable(given):
                raise KernelConfigError(
                    f"serve_governance: {label} must be an async callable, got "
                    f"{type(given).__name__}"
                )
        try:
            served = parse_capability_id(
                capability if capability is not None else GOVERNANCE_CAPABILITY
            )
        except InvalidCapabilityId as error:
            raise KernelConfigError(f"serve_governance: capability: {error}") from None
        if name is not None and (not isinstance(name, str) or not name.strip()):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise KernelConfigError(f"serve_governance: name must be a non-blank str, got {name!r}")
        config = config if config is not None else KernelConfig()
        if config.capabilities is not None and served not in config.capabilities:
            config = msgspec.structs.replace(config, capabilities=(served, *config.capabilities))
        self.service: Final = GovernanceService(
            store,
            name=name if name is not None else "governance",
            capabilities=(served,),
            decide=decide,
            on_audit=on_audit,
        )
        super().__init__(self.service, config=config, tracer_provider=tracer_provider)

    @property
    def store(self) -> ApprovalStore:
        """The approval store served.

        Example:
            >>> serve_governance(store).store is store
            True
        """
        return self.service.store

    @property
    def capability(self) -> str:
        """The capability advertised (``governance.approvals`` unless given).

        Example:
            >>> serve_governance(store).capability
            'governance.approvals'
        """
        return self.service.capabilities()[0]

    @property
    def name(self) -> str:
        """The registered name (``"governance"`` unless given).

        Example:
            >>> serve_governance(store, name="finance-approvals").name
            'finance-approvals'
        """
        return self.service.name

    def __repr__(self) -> str:
        return f"GovernanceServer({self.name!r}, {self.capability!r}, state={self.state.value})"


def serve_governance(
    store: ApprovalStore,
    *,
    decide: Decider | None = None,
    on_audit: AuditHandler | None = None,
    name: str | None = None,
    capability: str | None = None,
    config: KernelConfig | None = None,
    tracer_provider: TracerProvider | None = None,
) -> GovernanceServer:
    """Expose ``store`` as a governance agent for `MxpApprovals` and `MxpAuditSink`.

    ``decide`` (async, given each new pending `ApprovalRequest`) answers a `Verdict` to approve
    or deny at once, or None to leave it to a human (the CLI on the same store); an error it
    raises is answered as an Error, so the asking agent fails closed. ``on_audit`` (async) is
    given each audit body received, and the sender's Call is acknowledged only once it
    returned; without it, audit Calls are refused (``approval_error``) rather than dropped.
    ``capability`` (default ``governance.approvals``) is advertised to ``config.registry``.

    Raises:
        KernelConfigError: not an ApprovalStore, a callback that is not callable, a bad
            capability or name.

    Example:
        >>> async def decide(request):
        ...     return Verdict(approve=request.action.arguments["amount"] <= 500, by="bot")
        >>> server = serve_governance(FileApprovalStore("approvals"), decide=decide,
        ...                           config=KernelConfig(registry="127.0.0.1:50051"))
        >>> async with server.running():
        ...     await trio.sleep_forever()
    """
    return GovernanceServer(
        store,
        decide=decide,
        on_audit=on_audit,
        name=name,
        capability=capability,
        config=config,
        tracer_provider=tracer_provider,
    )
