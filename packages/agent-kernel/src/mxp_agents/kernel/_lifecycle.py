"""The agent lifecycle: `AgentState`, `LifecycleEvent` and the `Lifecycle` state machine.

The transition table is the Rust reference runtime's, pair for pair:

=================================  ===========  ==========
from                               event        to
=================================  ===========  ==========
Init                               Boot         Ready
Ready                              Activate     Active
Suspended                          Resume       Active
Ready, Active, Suspended           Retire       Retiring
Active                             Suspend      Suspended
Retiring, Terminated               Terminate    Terminated
any                                Abort        Terminated
=================================  ===========  ==========

Every other pair raises `InvalidTransition`.
"""

from __future__ import annotations

import enum
import logging
from typing import TYPE_CHECKING, Final

from mxp_agents.kernel._errors import KernelError

if TYPE_CHECKING:
    import uuid

    from mxp_agents.primitives import AgentId

__all__ = ["AgentState", "InvalidTransition", "Lifecycle", "LifecycleEvent"]

logger: Final = logging.getLogger("mxp_agents.kernel.lifecycle")


class AgentState(enum.Enum):
    """The states an agent occupies during its lifetime.

    Example:
        >>> AgentState.ACTIVE.is_active, AgentState.TERMINATED.is_terminal
        (True, True)
    """

    INIT = "Init"
    """Constructed, not yet initialized."""
    READY = "Ready"
    """Dependencies initialized; ready for activation (registered with the registry)."""
    ACTIVE = "Active"
    """Handling work."""
    SUSPENDED = "Suspended"
    """Paused; new calls are refused with a retry hint until it resumes."""
    RETIRING = "Retiring"
    """Draining in-flight work before shutting down; no new work is accepted."""
    TERMINATED = "Terminated"
    """Fully stopped; no further work is scheduled."""

    @property
    def is_active(self) -> bool:
        """True in the `ACTIVE` state.

        Example:
            >>> AgentState.READY.is_active
            False
        """
        return self is AgentState.ACTIVE

    @property
    def is_terminal(self) -> bool:
        """True once `TERMINATED`.

        Example:
            >>> AgentState.RETIRING.is_terminal
            False
        """
        return self is AgentState.TERMINATED


class LifecycleEvent(enum.Enum):
    """Events that move a `Lifecycle` from one `AgentState` to another.

    Example:
        >>> LifecycleEvent.BOOT.value
        'Boot'
    """

    BOOT = "Boot"
    """Finish bootstrapping resources."""
    ACTIVATE = "Activate"
    """Begin processing work."""
    SUSPEND = "Suspend"
    """Pause while keeping state."""
    RESUME = "Resume"
    """Resume after a suspension."""
    RETIRE = "Retire"
    """Begin a graceful shutdown."""
    TERMINATE = "Terminate"
    """Finish the shutdown after draining."""
    ABORT = "Abort"
    """Stop at once, from any state."""


_S = AgentState
_E = LifecycleEvent
TRANSITIONS: Final[dict[tuple[AgentState, LifecycleEvent], AgentState]] = {
    (_S.INIT, _E.BOOT): _S.READY,
    (_S.READY, _E.ACTIVATE): _S.ACTIVE,
    (_S.SUSPENDED, _E.RESUME): _S.ACTIVE,
    (_S.READY, _E.RETIRE): _S.RETIRING,
    (_S.ACTIVE, _E.RETIRE): _S.RETIRING,
    (_S.SUSPENDED, _E.RETIRE): _S.RETIRING,
    (_S.ACTIVE, _E.SUSPEND): _S.SUSPENDED,
    (_S.RETIRING, _E.TERMINATE): _S.TERMINATED,
    (_S.TERMINATED, _E.TERMINATE): _S.TERMINATED,
    **{(state, _E.ABORT): _S.TERMINATED for state in AgentState},
}
"""The reference runtime's transition table: (state, event) -> next state."""


class InvalidTransition(KernelError):
    """A lifecycle event that the current state does not allow.

    ``agent_id``, ``from_state`` and ``event`` say which; the text is the reference runtime's.

    Example:
        >>> Lifecycle("a1").transition(LifecycleEvent.ACTIVATE)
        Traceback (most recent call last):
        ...
        mxp_agents.kernel._lifecycle.InvalidTransition: invalid lifecycle transition from Init ...
    """

    def __init__(self, agent_id: str, from_state: AgentState, event: LifecycleEvent) -> None:
        self.agent_id = agent_id
        self.from_state = from_state
        self.event = event
        super().__init__(
            f"invalid lifecycle transition from {from_state.value} via {event.value} "
            f"for agent {agent_id}"
        )

    def __reduce__(self) -> tuple[type[InvalidTransition], tuple[str, AgentState, LifecycleEvent]]:
        return (type(self), (self.agent_id, self.from_state, self.event))


class Lifecycle:
    """The lifecycle state machine of one agent; starts in `AgentState.INIT`.

    Example:
        >>> lifecycle = Lifecycle("a1")
        >>> lifecycle.transition(LifecycleEvent.BOOT)
        <AgentState.READY: 'Ready'>
        >>> lifecycle.transition(LifecycleEvent.ACTIVATE).is_active
        True
    """

    __slots__ = ("_agent_id", "_state")

    def __init__(self, agent_id: AgentId | uuid.UUID | str) -> None:
        self._agent_id = str(agent_id)
        self._state = AgentState.INIT

    @property
    def agent_id(self) -> str:
        """The owning agent's id, as text.

        Example:
            >>> Lifecycle("a1").agent_id
            'a1'
        """
        return self._agent_id

    @property
    def state(self) -> AgentState:
        """The current state.

        Example:
            >>> Lifecycle("a1").state
            <AgentState.INIT: 'Init'>
        """
        return self._state

    def allows(self, event: LifecycleEvent) -> bool:
        """Whether ``event`` is a valid transition from the current state.

        Example:
            >>> Lifecycle("a1").allows(LifecycleEvent.BOOT)
            True
        """
        return (self._state, event) in TRANSITIONS

    def transition(self, event: LifecycleEvent) -> AgentState:
        """Apply ``event`` and return the new state.

        Raises:
            InvalidTransition: the current state does not allow ``event``.

        Example:
            >>> Lifecycle("a1").transition(LifecycleEvent.ABORT)
            <AgentState.TERMINATED: 'Terminated'>
        """
        current = self._state
        following = TRANSITIONS.get((current, event))
        if following is None:
            raise InvalidTransition(self._agent_id, current, event)
        if following is not current:
            logger.debug(
                "agent %s lifecycle: %s --%s--> %s",
                self._agent_id,
                current.value,
                event.value,
                following.value,
            )
            self._state = following
        return following

    def __repr__(self) -> str:
        return f"Lifecycle(agent_id={self._agent_id!r}, state={self._state.value})"
