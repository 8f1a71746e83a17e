"""Agent.run: simple answers, prompt assembly, determinism, input and configuration errors."""

from __future__ import annotations

import msgspec
import pytest

from mxp_agents.adapters.testing import ScriptedModel, Step, TestModel
from mxp_agents.kernel import (
    Agent,
    AgentConfigError,
    KernelError,
    RunInputError,
    RunLimits,
    RunResult,
    StopReason,
)
from mxp_agents.primitives import Message, Role, ToolCall, Usage
from mxp_agents.prompts import (
    Guardrails,
    GuardrailViolation,
    MissingVariableError,
    PromptStack,
    PromptTemplate,
)
from mxp_agents.tools import ToolRegistry, tool


@tool
async def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first.
        b: The second.
    """
    return a + b


def roles(messages: tuple[Message, ...]) -> list[str]:
    return [message.role.value for message in messages]


async def test_simple_answer() -> None:
    model = ScriptedModel([Step.text("Paris.", usage=Usage(input_tokens=7, output_tokens=2))])
    agent = Agent("geo", instructions="Answer briefly.", model=model)
    result = await agent.run("Capital of France?", run_id="run-1")
    assert isinstance(result, RunResult)
    assert result.ok
    assert result.stop_reason is StopReason.COMPLETED
    assert (result.output, result.text, result.error) == ("Paris.", "Paris.", None)
    assert result.run_id == "run-1"
    assert result.steps == 1
    assert result.usage == Usage(input_tokens=7, output_tokens=2)
    assert result.tool_calls == ()
    assert [(m.role.value, m.content) for m in result.messages] == [
        ("system", "Answer briefly."),
        ("user", "Capital of France?"),
        ("assistant", "Paris."),
    ]
    request = model.requests[0]
    assert request.messages == result.messages[:2]
    assert request.tools == ()
    model.assert_complete()


async def test_run_ids_are_fresh_and_agent_ids_stable() -> None:
    agent = Agent("a", model=ScriptedModel([Step.text("x")] * 2))
    first, second = await agent.run("go"), await agent.run("go")
    assert first.run_id != second.run_id
    assert len(first.run_id) == 32
    assert agent.name == "a"
    assert str(agent.id) in repr(agent)


async def test_one_tool_call_round_trip() -> None:
    model = ScriptedModel(
        [Step.tool_calls(ToolCall("call_1", "add", {"a": 2, "b": 3})), Step.text("It is 5.")]
    )
    agent = Agent("calc", instructions="You add.", model=model, tools=[add])
    result = await agent.run("What is 2 + 3?")
    assert result.output == "It is 5."
    assert roles(result.messages) == ["system", "user", "assistant", "tool", "assistant"]
    assert result.messages[3] == Message.tool("5", tool_call_id="call_1", name="add")
    [record] = result.tool_calls
    assert (record.call.name, record.result.content, record.result.is_error) == ("add", "5", False)
    assert record.duration >= 0
    assert result.steps == 2
    assert [d.name for d in model.requests[0].tools] == ["add"]
    assert model.requests[1].messages == result.messages[:4]


async def test_tools_from_a_registry_and_test_model() -> None:
    agent = Agent("calc", model=TestModel(final_text="done"), tools=ToolRegistry([add]))
    result = await agent.run("add something")
    assert result.output == "done"
    assert [record.call.name for record in result.tool_calls] == ["add"]
    assert not result.tool_calls[0].result.is_error


async def test_template_instructions_render_with_variables() -> None:
    model = ScriptedModel([Step.text("ok")])
    instructions = PromptTemplate("You are {{ agent }}, answering in {{ language }}.")
    agent = Agent("t", instructions=instructions, model=model)
    result = await agent.run("hi", variables={"agent": "mxp", "language": "French"})
    assert result.messages[0] == Message.system("You are mxp, answering in French.")
    with pytest.raises(MissingVariableError):
        await agent.run("hi", variables={"agent": "mxp"})


async def test_static_template_is_rendered_once() -> None:
    model = ScriptedModel([Step.text("ok")])
    agent = Agent("t", instructions=PromptTemplate("Be brief."), model=model)
    assert (await agent.run("hi")).messages[0] == Message.system("Be brief.")


async def test_prompt_stack_system_role_task() -> None:
    stack = PromptStack(
        system="You are {{ agent }}.", role="Act as a {{ role }}.", task="Review {{ task }}."
    )
    model = ScriptedModel([Step.text("looks good")])
    agent = Agent("rev", instructions=stack, model=model)
    history = [Message.user("earlier"), Message.assistant("noted")]
    result = await agent.run(
        "a.py", variables={"agent": "mxp", "role": "reviewer"}, history=history
    )
    assert [(m.role.value, m.content) for m in model.requests[0].messages] == [
        ("system", "You are mxp.\n\nAct as a reviewer."),
        ("user", "earlier"),
        ("assistant", "noted"),
        ("user", "Review a.py."),
    ]
    assert result.ok
    with pytest.raises(RunInputError, match="pass the task as a str"):
        await agent.run([Message.user("a.py")], variables={"agent": "x", "role": "y"})
    with pytest.raises(RunInputError, match="'task' is reserved"):
        await agent.run("a.py", variables={"agent": "x", "role": "y", "task": "z"})


async def test_prompt_stack_without_task_layer() -> None:
    model = ScriptedModel([Step.text("ok")])
    agent = Agent("s", instructions=PromptStack(system="Sys {{ v }}."), model=model)
    result = await agent.run("do it", variables={"v": 1})
    assert [(m.role.value, m.content) for m in result.messages[:2]] == [
        ("system", "Sys 1."),
        ("user", "do it"),
    ]


def test_prompt_stack_task_layer_must_use_task() -> None:
    with pytest.raises(AgentConfigError, match=r"does not use '\{\{ task \}\}'"):
        Agent("s", instructions=PromptStack(task="Fixed."), model=ScriptedModel([]))


async def test_task_as_messages_and_history() -> None:
    model = ScriptedModel([Step.text("ok")])
    agent = Agent("m", model=model)
    history = (Message.user("one"), Message.assistant("two"))
    task = [Message.user("three", name="ada")]
    result = await agent.run(task, history=history)
    assert roles(result.messages) == ["user", "assistant", "user", "assistant"]
    assert result.messages[2].name == "ada"


async def test_variables_with_plain_instructions_are_refused() -> None:
    agent = Agent("p", instructions="Plain.", model=ScriptedModel([]))
    with pytest.raises(RunInputError, match="not a template"):
        await agent.run("hi", variables={"x": 1})


@pytest.mark.parametrize(
    ("task", "history", "message"),
    [
        ("", None, "the task is empty"),
        ("   ", None, "the task is empty"),
        ([], None, "the task has no messages"),
        (["text"], None, r"task\[0\] is not a Message"),
        ("ok", ["x"], r"history\[0\] is not a Message"),
        ("ok", "text", "history must be a sequence of Messages"),
    ],
)
async def test_bad_input_raises_before_the_model_is_called(
    task: object, history: object, message: str
) -> None:
    model = ScriptedModel([])
    agent = Agent("b", model=model)
    with pytest.raises(RunInputError, match=message) as caught:
        await agent.run(task, history=history)  # type: ignore[arg-type]
    assert isinstance(caught.value, KernelError)
    assert model.requests == []


async def test_bad_run_options() -> None:
    agent = Agent("b", model=ScriptedModel([]))
    with pytest.raises(RunInputError, match="run_id"):
        await agent.run("x", run_id="")
    with pytest.raises(RunInputError, match="trace_id"):
        await agent.run("x", trace_id="abc")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"name": " "}, "name must be a non-blank str"),
        ({"model": object()}, "model must be a ModelAdapter"),
        ({"limits": {"max_steps": 1}}, "limits must be a RunLimits"),
        ({"temperature": 3.0}, "temperature must be between 0 and 2"),
        ({"max_output_tokens": 0}, "max_output_tokens must be an int >= 1"),
        ({"instructions": 42}, "instructions must be a str"),
        ({"tools": [add, add]}, "cannot register the agent's tools"),
        ({"tools": "add"}, "tools must be a collection"),
        ({"capabilities": ["Not Valid"]}, "cannot build the agent's tool executor"),
        ({"output_type": object}, "is not a type msgspec can decode"),
    ],
)
def test_bad_configuration(options: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"name": "x", "model": ScriptedModel([]), **options}
    with pytest.raises(AgentConfigError, match=message):
        Agent(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_steps": 0}, "max_steps must be an int >= 1, got 0 - at RunLimits.max_steps"),
        ({"max_tool_calls": -1}, "max_tool_calls must be an int >= 0"),
        ({"max_total_tokens": 0}, "max_total_tokens must be an int >= 1"),
        ({"max_wall_time": 0}, "max_wall_time must be a number of seconds > 0"),
        ({"max_wall_time": float("nan")}, "got nan"),
        ({"max_output_retries": True}, "max_output_retries must be an int >= 0"),
    ],
)
def test_bad_limits(options: dict[str, object], message: str) -> None:
    with pytest.raises(AgentConfigError, match=message):
        RunLimits(**options)  # type: ignore[arg-type]


def test_limits_defaults() -> None:
    limits = RunLimits()
    assert (limits.max_steps, limits.max_tool_calls, limits.max_total_tokens) == (10, 32, None)
    assert (limits.max_wall_time, limits.max_output_retries) == (60.0, 2)
    assert RunLimits(max_wall_time=5).max_wall_time == 5.0


async def test_same_inputs_give_identical_requests() -> None:
    def script() -> ScriptedModel:
        return ScriptedModel(
            [
                Step.tool_calls(
                    ToolCall("c1", "add", {"a": 1, "b": 2}), ToolCall("c2", "add", {"a": 3, "b": 4})
                ),
                Step.text("3 and 7"),
            ]
        )

    history = [Message.user("hello"), Message.assistant("hi")]
    encoded: list[bytes] = []
    for _ in range(2):
        model = script()
        agent = Agent(
            "det",
            instructions=PromptTemplate("You are {{ name }}."),
            model=model,
            tools=[add],
            temperature=0.0,
        )
        await agent.run("add twice", variables={"name": "calc"}, history=history)
        encoded.append(b"\n".join(msgspec.json.encode(request) for request in model.requests))
    assert encoded[0] == encoded[1]
    assert b'"content":"7"' in encoded[0]


async def test_guardrails_redact_the_task() -> None:
    model = ScriptedModel([Step.text("ok")])
    agent = Agent("g", model=model, guardrails=Guardrails())
    result = await agent.run("Mail ada@example.com please")
    assert model.requests[0].messages[-1].content == "Mail [REDACTED:email] please"
    assert [hit.kind for hit in result.guardrail_hits] == ["email"]
    messages = [Message.user("call +44 20 7946 0958"), Message.assistant("a@b.io stays")]
    await_model = ScriptedModel([Step.text("ok")])
    agent = Agent("g", model=await_model, guardrails=Guardrails())
    result = await agent.run(messages)
    assert [m.content for m in await_model.requests[0].messages] == [
        "call [REDACTED:phone]",
        "a@b.io stays",
    ]


async def test_guardrails_flag_and_block_the_task() -> None:
    model = ScriptedModel([Step.text("ok")])
    agent = Agent("g", model=model, guardrails=Guardrails(policies={"pii": "flag"}))
    result = await agent.run("Mail ada@example.com")
    assert model.requests[0].messages[-1].content == "Mail ada@example.com"
    assert result.guardrail_hits[0].policy == "flag"
    blocking = Agent("g", model=ScriptedModel([]), guardrails=Guardrails(policies={"pii": "block"}))
    with pytest.raises(GuardrailViolation, match="blocked by guardrails: email"):
        await blocking.run("Mail ada@example.com")


async def test_empty_answer_completes() -> None:
    result = await Agent("e", model=ScriptedModel([Step.text("")])).run("hi")
    assert result.ok
    assert result.output == ""
    assert result.messages[-1].role is Role.ASSISTANT


def test_agent_properties() -> None:
    model = ScriptedModel([])
    agent = Agent("p", model=model, tools=[add], capabilities=["math.add"])
    assert agent.model is model
    assert agent.limits == RunLimits()
    assert agent.output_type is None
    assert sorted(agent.executor.granted) == ["math.add"]
    assert "add" in agent.executor.registry


async def test_per_run_sampling_overrides_the_agents() -> None:
    model = ScriptedModel([Step.text("a"), Step.text("b")])
    agent = Agent("s", model=model, temperature=1.0, max_output_tokens=100)
    await agent.run("one")
    await agent.run("two", temperature=0.1, max_output_tokens=7)
    sent = [(r.temperature, r.max_output_tokens) for r in model.requests]
    assert sent == [(1.0, 100), (0.1, 7)]
    with pytest.raises(RunInputError, match="temperature must be between 0 and 2"):
        await agent.run("three", temperature=2.5)
