"""The lifecycle state machine: every (state, event) pair against the reference table."""

import itertools
import pickle

import pytest

from mxp_agents.kernel import AgentState, InvalidTransition, KernelError, Lifecycle, LifecycleEvent
from mxp_agents.primitives import AgentId, random_agent_id

S, E = AgentState, LifecycleEvent

# The Rust reference runtime's table, written out pair by pair (None: invalid).
EXPECTED: dict[tuple[AgentState, LifecycleEvent], AgentState | None] = {
    (S.INIT, E.BOOT): S.READY,
    (S.INIT, E.ACTIVATE): None,
    (S.INIT, E.SUSPEND): None,
    (S.INIT, E.RESUME): None,
    (S.INIT, E.RETIRE): None,
    (S.INIT, E.TERMINATE): None,
    (S.INIT, E.ABORT): S.TERMINATED,
    (S.READY, E.BOOT): None,
    (S.READY, E.ACTIVATE): S.ACTIVE,
    (S.READY, E.SUSPEND): None,
    (S.READY, E.RESUME): None,
    (S.READY, E.RETIRE): S.RETIRING,
    (S.READY, E.TERMINATE): None,
    (S.READY, E.ABORT): S.TERMINATED,
    (S.ACTIVE, E.BOOT): None,
    (S.ACTIVE, E.ACTIVATE): None,
    (S.ACTIVE, E.SUSPEND): S.SUSPENDED,
    (S.ACTIVE, E.RESUME): None,
    (S.ACTIVE, E.RETIRE): S.RETIRING,
    (S.ACTIVE, E.TERMINATE): None,
    (S.ACTIVE, E.ABORT): S.TERMINATED,
    (S.SUSPENDED, E.BOOT): None,
    (S.SUSPENDED, E.ACTIVATE): None,
    (S.SUSPENDED, E.SUSPEND): None,
    (S.SUSPENDED, E.RESUME): S.ACTIVE,
    (S.SUSPENDED, E.RETIRE): S.RETIRING,
    (S.SUSPENDED, E.TERMINATE): None,
    (S.SUSPENDED, E.ABORT): S.TERMINATED,
    (S.RETIRING, E.BOOT): None,
    (S.RETIRING, E.ACTIVATE): None,
    (S.RETIRING, E.SUSPEND): None,
    (S.RETIRING, E.RESUME): None,
    (S.RETIRING, E.RETIRE): None,
    (S.RETIRING, E.TERMINATE): S.TERMINATED,
    (S.RETIRING, E.ABORT): S.TERMINATED,
    (S.TERMINATED, E.BOOT): None,
    (S.TERMINATED, E.ACTIVATE): None,
    (S.TERMINATED, E.SUSPEND): None,
    (S.TERMINATED, E.RESUME): None,
    (S.TERMINATED, E.RETIRE): None,
    (S.TERMINATED, E.TERMINATE): S.TERMINATED,
    (S.TERMINATED, E.ABORT): S.TERMINATED,
}

# A path of valid events from Init to each state.
PATHS: dict[AgentState, tuple[LifecycleEvent, ...]] = {
    S.INIT: (),
    S.READY: (E.BOOT,),
    S.ACTIVE: (E.BOOT, E.ACTIVATE),
    S.SUSPENDED: (E.BOOT, E.ACTIVATE, E.SUSPEND),
    S.RETIRING: (E.BOOT, E.ACTIVATE, E.RETIRE),
    S.TERMINATED: (E.BOOT, E.ACTIVATE, E.RETIRE, E.TERMINATE),
}


def lifecycle_in(state: AgentState, agent_id: AgentId | str = "agent-1") -> Lifecycle:
    lifecycle = Lifecycle(agent_id)
    for event in PATHS[state]:
        lifecycle.transition(event)
    assert lifecycle.state is state
    return lifecycle


def test_the_table_covers_all_42_pairs():
    assert len(EXPECTED) == len(AgentState) * len(LifecycleEvent) == 42


@pytest.mark.parametrize(("state", "event"), list(itertools.product(AgentState, LifecycleEvent)))
def test_every_pair_follows_the_reference_table(state, event):
    lifecycle = lifecycle_in(state)
    expected = EXPECTED[(state, event)]
    assert lifecycle.allows(event) is (expected is not None)
    if expected is None:
        with pytest.raises(InvalidTransition) as caught:
            lifecycle.transition(event)
        assert lifecycle.state is state  # unchanged
        error = caught.value
        assert (error.agent_id, error.from_state, error.event) == ("agent-1", state, event)
        assert str(error) == (
            f"invalid lifecycle transition from {state.value} via {event.value} for agent agent-1"
        )
        assert isinstance(error, KernelError)
    else:
        assert lifecycle.transition(event) is expected
        assert lifecycle.state is expected


def test_the_message_names_the_agent_id_like_the_reference():
    agent_id = random_agent_id()
    with pytest.raises(InvalidTransition, match=f"from Init via Activate for agent {agent_id}$"):
        Lifecycle(agent_id).transition(E.ACTIVATE)


def test_boot_activate_suspend_resume_retire_terminate_flow():
    lifecycle = Lifecycle("a")
    states = [lifecycle.transition(event) for event in (E.BOOT, E.ACTIVATE, E.SUSPEND, E.RESUME)]
    assert states == [S.READY, S.ACTIVE, S.SUSPENDED, S.ACTIVE]
    assert lifecycle.state.is_active
    assert lifecycle.transition(E.RETIRE) is S.RETIRING
    assert lifecycle.transition(E.TERMINATE).is_terminal


def test_abort_is_global_and_terminated_is_absorbing():
    for state in AgentState:
        lifecycle = lifecycle_in(state)
        assert lifecycle.transition(E.ABORT) is S.TERMINATED
        assert lifecycle.transition(E.ABORT) is S.TERMINATED
        assert lifecycle.transition(E.TERMINATE) is S.TERMINATED


def test_error_pickles_and_repr_names_the_state():
    error = InvalidTransition("a", S.INIT, E.RESUME)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.from_state, copy.event, str(copy)) == (S.INIT, E.RESUME, str(error))
    assert repr(lifecycle_in(S.READY, "x")) == "Lifecycle(agent_id='x', state=Ready)"
