import os
import subprocess
import sys

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mxp_agents.primitives import Message, Role, ToolCall
from mxp_agents.prompts import (
    InvalidArgument,
    MissingVariableError,
    PromptStack,
    PromptTemplate,
    UnknownVariableError,
)

encode = msgspec.json.Encoder().encode


def make_stack() -> PromptStack:
    return PromptStack(
        system="You are {{ agent }}.\nFollow the house rules.\n",
        role="\n\nAct as a {{ role }} for {{ user.name }}.  \n",
        task=PromptTemplate("Task: {{ task }}", name="job"),
    )


VARIABLES = {"agent": "mxp-1", "role": "reviewer", "user": {"name": "Ada"}, "task": "review a.py"}
HISTORY = (
    Message.user("earlier question"),
    Message.assistant(tool_calls=[ToolCall("c1", "clock")]),
    Message.tool("12:00", tool_call_id="c1"),
    Message.assistant("It is noon."),
)


def test_order_is_system_then_history_then_task():
    messages = make_stack().build(VARIABLES, history=HISTORY)
    assert [message.role for message in messages] == [
        Role.SYSTEM,
        Role.USER,
        Role.ASSISTANT,
        Role.TOOL,
        Role.ASSISTANT,
        Role.USER,
    ]
    assert messages[0].content == (
        "You are mxp-1.\nFollow the house rules.\n\nAct as a reviewer for Ada."
    )
    assert messages[1:5] == HISTORY
    assert messages[-1] == Message.user("Task: review a.py")


def test_missing_layers_and_empty_layers_are_left_out():
    assert PromptStack().build() == ()
    assert PromptStack(task="Go.").build() == (Message.user("Go."),)
    assert PromptStack(role="Be {{ how }}.").build({"how": "brief"}) == (
        Message.system("Be brief."),
    )
    stack = PromptStack(system="{{ s }}", task="{{ t }}")
    assert stack.build({"s": "  \n", "t": ""}, history=[Message.user("hi")]) == (
        Message.user("hi"),
    )


def test_separator_is_configurable():
    stack = PromptStack(system="A", role="B", separator="\r\n---\r\n")
    assert stack.build()[0].content == "A\n---\nB"


def test_layers_share_variables_and_report_unknown_ones():
    stack = make_stack()
    assert stack.variables == ("agent", "role", "user", "task")
    with pytest.raises(UnknownVariableError) as caught:
        stack.build({**VARIABLES, "tsak": "x"})
    assert caught.value.names == ("tsak",)
    assert "did you mean 'task'?" in str(caught.value)
    assert "prompt stack" in str(caught.value)
    relaxed = PromptStack(system="{{ a }}", allow_extra=True)
    assert relaxed.build({"a": 1, "b": 2}) == (Message.system("1"),)


def test_a_missing_variable_names_its_layer():
    with pytest.raises(MissingVariableError) as caught:
        make_stack().build({"agent": "x", "task": "t", "user": {"name": "A"}})
    assert caught.value.template == "role"
    assert caught.value.names == ("role",)
    with pytest.raises(MissingVariableError) as caught:
        make_stack().build({"agent": "x", "role": "r", "user": {"name": "A"}})
    assert caught.value.template == "job"


def test_history_items_must_be_messages():
    with pytest.raises(InvalidArgument, match=r"history\[1\] is not a Message"):
        PromptStack(system="s").build(history=[Message.user("a"), {"role": "user"}])  # type: ignore[list-item]


def test_layer_accessors_and_repr():
    stack = make_stack()
    assert stack.system is not None
    assert stack.system.name == "system"
    assert stack.task is not None
    assert stack.task.name == "job"
    assert repr(stack).startswith("PromptStack(layers=(system, role, job)")
    with pytest.raises(InvalidArgument):
        PromptStack(system=42)  # type: ignore[arg-type]


def test_same_inputs_give_the_same_bytes():
    first = encode(make_stack().build(VARIABLES, history=HISTORY))
    for _ in range(3):
        assert encode(make_stack().build(dict(VARIABLES), history=list(HISTORY))) == first


SCRIPT = """
import sys, msgspec
from mxp_agents.primitives import Message
from mxp_agents.prompts import ContextWindow, PromptStack
stack = PromptStack(
    system="You are {{ agent }}. Tags: {{ tags }}",
    role="Act as {{ role }}.",
    task="{{ task }} for {{ user.name }}",
)
variables = {"task": "review", "role": "reviewer", "agent": "mxp", "tags": ["b", "a"],
             "user": {"name": "Ada", "id": 7}}
history = [Message.user(f"turn {i} " + "x" * 40) for i in range(30)]
messages = stack.build(variables, history=history)
fitted = ContextWindow(max_tokens=300, recent=4).fit(messages)
sys.stdout.buffer.write(msgspec.json.encode([messages, fitted]))
"""


def test_assembly_is_byte_identical_across_processes_and_hash_seeds():
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT], env=env, capture_output=True, check=True, timeout=60
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert b"Summary of" in outputs.pop()


@given(
    st.fixed_dictionaries(
        {"agent": st.text(), "role": st.text(), "task": st.text(), "user": st.just({"name": "A"})}
    ),
    st.lists(st.text(max_size=20).map(Message.user), max_size=5),
)
def test_building_twice_gives_identical_bytes(variables, history):
    assert encode(make_stack().build(variables, history=history)) == encode(
        make_stack().build(variables, history=history)
    )
