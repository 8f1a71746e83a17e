import msgspec
import pytest
import trio

from mxp_agents.adapters import (
    FinishReason,
    ModelAdapter,
    ModelRequest,
    ModelResponse,
    ResponseAssembler,
    ResponseFormat,
    ToolChoiceTool,
    collect_response,
)
from mxp_agents.adapters.testing import FunctionModel, ScriptedModel, TestModel
from mxp_agents.primitives import Message, ToolCall, ToolDefinition, ToolResult, Usage

ADD = ToolDefinition(
    name="add",
    description="Add two integers.",
    parameters={
        "type": "object",
        "properties": {
            "a": {"type": "integer", "minimum": 0, "maximum": 9},
            "b": {"type": "integer", "minimum": 0, "maximum": 9},
        },
        "required": ["a", "b"],
    },
)
SEARCH = ToolDefinition(
    name="search",
    parameters={
        "type": "object",
        "properties": {"query": {"type": "string"}, "when": {"type": "string", "format": "date"}},
        "required": ["query", "when"],
    },
)
QUESTION = Message.user("What is 2 + 3, and what's new?")


class Verdict(msgspec.Struct):
    answer: int
    confident: bool


def with_results(response: ModelResponse) -> ModelRequest:
    """The next request of an agent loop: the model's calls and one result for each."""
    results = [
        ToolResult(tool_call_id=call.id, name=call.name, content=f"result of {call.name}")
        for call in response.tool_calls
    ]
    return ModelRequest(
        (QUESTION, response.message, *(result.to_message() for result in results)),
        tools=(ADD, SEARCH),
    )


def test_every_test_model_is_a_model_adapter():
    for model in (ScriptedModel([]), TestModel(), FunctionModel(lambda request: "ok")):
        assert isinstance(model, ModelAdapter)
    assert (TestModel().provider, TestModel(model_name="t").model_name) == ("test", "t")
    assert (FunctionModel(str).provider, FunctionModel(str).model_name) == ("function", "function")


async def test_first_request_calls_every_offered_tool_at_once():
    model = TestModel()
    response = await model.complete(ModelRequest((QUESTION,), tools=(ADD, SEARCH)))
    assert [call.name for call in response.tool_calls] == ["add", "search"]
    assert len({call.id for call in response.tool_calls}) == 2
    assert response.finish_reason is FinishReason.TOOL_CALLS
    assert response.text == ""
    add = response.tool_calls[0].arguments
    assert set(add) == {"a", "b"}
    assert all(0 <= add[name] <= 9 for name in "ab")
    assert len(response.tool_calls[1].arguments["when"]) == 10
    assert response.usage.input_tokens > 0
    assert response.usage.output_tokens > 0
    assert model.requests == [ModelRequest((QUESTION,), tools=(ADD, SEARCH))]


async def test_after_tool_results_it_summarises_them():
    model = TestModel()
    first = await model.complete(ModelRequest((QUESTION,), tools=(ADD, SEARCH)))
    final = await model.complete(with_results(first))
    assert final.tool_calls == ()
    assert final.finish_reason is FinishReason.STOP
    assert final.text == "add: result of add\nsearch: result of search"


async def test_final_text_and_no_tools():
    model = TestModel(final_text="All done.")
    first = await model.complete(ModelRequest((QUESTION,), tools=(ADD,)))
    assert (await model.complete(with_results(first))).text == "All done."
    assert (await TestModel().complete(ModelRequest((QUESTION,)))).text == "done (no tool calls)"


async def test_call_tools_selects_tools():
    request = ModelRequest((QUESTION,), tools=(ADD, SEARCH))
    only_search = await TestModel(call_tools=["search"]).complete(request)
    assert [call.name for call in only_search.tool_calls] == ["search"]
    none = await TestModel(call_tools=False).complete(request)
    assert none.tool_calls == ()
    assert none.text == "done (no tool calls)"


async def test_tool_choice_is_honoured():
    named = ModelRequest((QUESTION,), tools=(ADD, SEARCH), tool_choice=ToolChoiceTool("search"))
    assert [call.name for call in (await TestModel().complete(named)).tool_calls] == ["search"]
    banned = ModelRequest((QUESTION,), tools=(ADD, SEARCH), tool_choice="none")
    assert (await TestModel().complete(banned)).tool_calls == ()
    required = ModelRequest((QUESTION,), tools=(ADD, SEARCH), tool_choice="required")
    forced = await TestModel(call_tools=False).complete(required)
    assert [call.name for call in forced.tool_calls] == ["add"]


async def test_response_format_gives_json_of_the_schema():
    response_format = ResponseFormat.for_type(Verdict)
    model = TestModel()
    first = await model.complete(
        ModelRequest((QUESTION,), tools=(ADD,), response_format=response_format)
    )
    assert first.tool_calls  # tools first, then the structured answer
    request = ModelRequest(
        (*with_results(first).messages,), tools=(ADD,), response_format=response_format
    )
    final = await model.complete(request)
    assert isinstance(final.parsed_json(Verdict), Verdict)
    direct = await TestModel().complete(ModelRequest((QUESTION,), response_format=response_format))
    assert isinstance(direct.parsed_json(Verdict), Verdict)


async def test_same_seed_same_answers_other_seed_other_answers():
    request = ModelRequest((QUESTION,), tools=(ADD, SEARCH))
    first = await TestModel(seed=7).complete(request)
    again = await TestModel(seed=7).complete(request)
    assert first == again
    others = [await TestModel(seed=seed).complete(request) for seed in range(5)]
    assert len({msgspec.json.encode(response.tool_calls) for response in others}) > 1


async def test_tool_call_ids_stay_unique_across_turns():
    model = TestModel()
    first = await model.complete(ModelRequest((QUESTION,), tools=(ADD,)))
    follow_up = ModelRequest(
        (*with_results(first).messages, Message.assistant("5"), Message.user("again?")),
        tools=(ADD,),
    )
    second = await model.complete(follow_up)
    assert second.tool_calls[0].id != first.tool_calls[0].id
    ModelRequest((*follow_up.messages, second.message), tools=(ADD,))  # still a valid request


async def test_stream_assembles_to_the_complete_answer():
    request = ModelRequest((QUESTION,), tools=(ADD, SEARCH))
    whole = await TestModel(seed=1).complete(request)
    streaming = TestModel(seed=1, chunk_size=3)
    streamed = await collect_response(streaming.stream(request), "test", "test")
    assert streamed == whole


async def test_function_model_sync_async_and_text():
    def sync(request: ModelRequest) -> ModelResponse:
        return ModelResponse(
            tool_calls=(ToolCall("c1", "add", {"a": 1, "b": 2}),),
            usage=Usage(input_tokens=9, output_tokens=4),
        )

    async def later(request: ModelRequest) -> str:
        await trio.lowlevel.checkpoint()
        return "later"

    request = ModelRequest((QUESTION,))
    first = await FunctionModel(sync).complete(request)
    assert first.tool_calls[0].raw_arguments == '{"a":1,"b":2}'
    assert first.usage == Usage(input_tokens=9, output_tokens=4)  # kept as given
    assert (first.model, first.provider) == ("function", "function")
    second = await FunctionModel(later, model_name="slow").complete(request)
    assert (second.text, second.model) == ("later", "slow")
    assert second.usage.total > 0


async def test_function_model_stream_and_recording():
    model = FunctionModel(lambda request: request.messages[-1].content[::-1], chunk_size=2)
    request = ModelRequest((Message.user("abcde"),))
    events = [event async for event in model.stream(request)]
    assembler = ResponseAssembler()
    for event in events:
        assembler.add(event)
    assert assembler.response().text == "edcba"
    assert model.requests == [request]


async def test_function_model_rejects_other_answers():
    model = FunctionModel(lambda request: 42)  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="return a ModelResponse or a str"):
        await model.complete(ModelRequest((QUESTION,)))
    with pytest.raises(TypeError, match="takes a callable"):
        FunctionModel("nope")  # type: ignore[arg-type]


async def test_cancelled_before_answering():
    for model in (TestModel(), FunctionModel(lambda request: "x")):
        with trio.move_on_after(0) as scope:
            await model.complete(ModelRequest((QUESTION,)))
        assert scope.cancelled_caught
