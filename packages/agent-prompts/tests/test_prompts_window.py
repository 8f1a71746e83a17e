import warnings
from collections.abc import Sequence

import msgspec
import pytest
import trio
from hypothesis import given, settings
from hypothesis import strategies as st

from mxp_agents.primitives import Message, Role, ToolCall
from mxp_agents.prompts import (
    ApproxTokenCounter,
    ContextBudgetError,
    ContextWindow,
    ContextWindowConfig,
    ExtractiveSummarizer,
    FittedContext,
    InvalidArgument,
    TokenCounter,
    default_score,
)

COUNTER = ApproxTokenCounter()


def conversation(turns: int, *, size: int = 80) -> list[Message]:
    messages = [Message.system("You are a careful assistant.")]
    for i in range(turns):
        messages.append(Message.user(f"Question {i}. " + "q" * size))
        messages.append(Message.assistant(f"Answer {i}. " + "a" * size))
    return messages


def total(messages: Sequence[Message]) -> int:
    return sum(COUNTER.count(message) for message in messages)


def kept_part(fitted: FittedContext) -> list[Message]:
    return [message for message in fitted.messages if message is not fitted.summary]


def test_messages_that_fit_are_returned_unchanged():
    messages = conversation(3)
    fitted = ContextWindow().fit(messages)
    assert fitted.messages == tuple(messages)
    assert fitted.tokens == total(messages)
    assert (fitted.dropped, fitted.dropped_indices, fitted.summary) == ((), (), None)
    assert not fitted.compressed
    assert fitted.max_tokens == 8192


def test_compression_respects_the_budget_and_keeps_system_and_recent():
    messages = conversation(20)
    window = ContextWindow(max_tokens=400, recent=4)
    fitted = window.fit(messages)
    assert fitted.compressed
    assert fitted.tokens == total(fitted.messages) <= 400
    assert fitted.messages[0] == messages[0]
    assert fitted.messages[1] is fitted.summary
    assert fitted.summary is not None
    assert fitted.summary.role is Role.SYSTEM
    assert fitted.messages[-4:] == tuple(messages[-4:])
    # nothing is lost: what is not kept is listed as dropped, in order
    assert kept_part(fitted) == [
        m for i, m in enumerate(messages) if i not in fitted.dropped_indices
    ]
    assert fitted.dropped == tuple(messages[i] for i in fitted.dropped_indices)
    assert list(fitted.dropped_indices) == sorted(fitted.dropped_indices)


def test_summary_is_extractive_by_default():
    messages = conversation(10, size=20)
    fitted = ContextWindow(max_tokens=200, recent=2).fit(messages)
    assert fitted.summary is not None
    count = len(fitted.dropped)
    lines = fitted.summary.content.splitlines()
    assert lines[0] == f"Summary of {count} earlier messages:"
    assert lines[1] == "- user: Question 0."
    assert lines[2] == "- assistant: Answer 0."


def test_pinned_messages_are_kept():
    messages = conversation(20)
    fitted = ContextWindow(max_tokens=400, recent=2).fit(messages, pinned={1, 2})
    assert messages[1] in fitted.messages
    assert messages[2] in fitted.messages
    assert 1 not in fitted.dropped_indices


def test_units_below_the_threshold_go_first():
    messages = [Message.system("s")] + [Message.user(f"m{i} " + "x" * 60) for i in range(6)]
    # message 1 is old but important, message 4 is newer but unimportant
    scores = {1: 90, 2: 10, 3: 50, 4: 5, 5: 60}
    # each message takes 20 tokens; the summary 12
    window = ContextWindow(max_tokens=total(messages) - 5, recent=1, summary_tokens=12)
    fitted = window.fit(messages, scores=scores)
    assert fitted.dropped_indices == (4,)
    tighter = ContextWindow(max_tokens=total(messages) - 25, recent=1, summary_tokens=12)
    fitted = tighter.fit(messages, scores=scores)
    assert fitted.dropped_indices == (2, 4)  # both below 30: lowest score first
    tightest = ContextWindow(max_tokens=total(messages) - 45, recent=1, summary_tokens=12)
    fitted = tightest.fit(messages, scores=scores)
    assert fitted.dropped_indices == (2, 3, 4)  # then the lowest above the threshold


def test_equal_scores_drop_the_oldest_first():
    messages = [Message.user(f"m{i} " + "x" * 60) for i in range(6)]
    window = ContextWindow(max_tokens=total(messages) - 5, recent=0, summary_tokens=12)
    fitted = window.fit(messages, scores=dict.fromkeys(range(6), 20.0))
    assert fitted.dropped_indices == (0,)


def test_tool_calls_and_results_are_kept_or_dropped_together():
    messages = [
        Message.system("s"),
        Message.user("what time is it and where am I? " + "x" * 100),
        Message.assistant(tool_calls=[ToolCall("c1", "clock"), ToolCall("c2", "locate")]),
        Message.tool("12:00", tool_call_id="c1", name="clock"),
        Message.tool("Oslo " + "y" * 200, tool_call_id="c2", name="locate"),
        Message.assistant("It is noon in Oslo."),
        Message.user("thanks"),
    ]
    # recent=3 reaches into the pair (the second tool result): the whole unit is kept
    fitted = ContextWindow(max_tokens=total(messages) - 20, recent=3).fit(messages)
    assert fitted.dropped_indices == (1,)
    assert fitted.messages[2:] == tuple(messages[2:])
    # recent=2: the pair is compressed as a whole
    fitted = ContextWindow(max_tokens=total(messages) - 20, recent=2).fit(messages)
    assert set(fitted.dropped_indices) >= {2, 3, 4}
    assert fitted.messages[-2:] == tuple(messages[-2:])


def test_the_summary_follows_the_leading_system_messages():
    messages = [Message.system("a"), Message.system("b"), *conversation(10)[1:]]
    fitted = ContextWindow(max_tokens=300, recent=2).fit(messages)
    assert [m.role for m in fitted.messages[:3]] == [Role.SYSTEM] * 3
    assert fitted.messages[2] is fitted.summary


def test_system_messages_are_always_kept_even_in_the_middle():
    messages = conversation(10)
    messages.insert(5, Message.system("mid-conversation instruction"))
    fitted = ContextWindow(max_tokens=300, recent=2).fit(messages)
    assert [m for m in fitted.messages if m.role is Role.SYSTEM and m is not fitted.summary] == [
        messages[0],
        messages[5],
    ]


def test_over_budget_raises_a_clear_error():
    messages = [Message.system("s" * 4000), Message.user("hi")]
    with pytest.raises(ContextBudgetError) as caught:
        ContextWindow(max_tokens=500).fit(messages)
    assert caught.value.budget == 500
    assert caught.value.needed == total(messages)
    assert "raise max_tokens" in str(caught.value)
    recent_heavy = conversation(10, size=400)
    with pytest.raises(ContextBudgetError, match="recent and pinned"):
        ContextWindow(max_tokens=300, recent=6).fit(recent_heavy)


def test_a_long_summary_is_cut_to_fit():
    def verbose(dropped: Sequence[Message]) -> str:
        return "\n".join("detail " * 50 for _ in dropped)

    messages = conversation(20)
    window = ContextWindow(max_tokens=400, recent=2, summarizer=verbose)
    fitted = window.fit(messages)
    assert fitted.tokens <= 400
    assert fitted.summary is not None
    assert fitted.summary.content.endswith("…")


def test_custom_summarizer_gets_the_dropped_messages_once_in_order():
    calls: list[tuple[Message, ...]] = []

    def summarizer(dropped: Sequence[Message]) -> str:
        calls.append(tuple(dropped))
        return "  they talked  "

    messages = conversation(20)
    fitted = ContextWindow(max_tokens=400, recent=2, summarizer=summarizer).fit(messages)
    assert calls == [fitted.dropped]
    assert fitted.summary is not None
    assert (
        fitted.summary.content == f"Summary of {len(fitted.dropped)} earlier messages:\nthey talked"
    )


async def test_afit_awaits_an_async_summarizer():
    async def summarizer(dropped: Sequence[Message]) -> str:
        await trio.lowlevel.checkpoint()
        return f"{len(dropped)} messages"

    messages = conversation(20)
    window = ContextWindow(max_tokens=400, recent=2, summarizer=summarizer)
    fitted = await window.afit(messages)
    assert fitted.summary is not None
    assert fitted.summary.content.endswith(f"\n{len(fitted.dropped)} messages")
    sync_window = ContextWindow(max_tokens=400, recent=2)
    assert await sync_window.afit(messages) == sync_window.fit(messages)


def test_fit_refuses_an_async_summarizer_without_leaking_the_coroutine():
    async def summarizer(dropped: Sequence[Message]) -> str:
        return "never"

    window = ContextWindow(max_tokens=400, recent=2, summarizer=summarizer)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InvalidArgument, match="afit"):
            window.fit(conversation(20))


def test_summarizer_must_return_text():
    window = ContextWindow(max_tokens=400, recent=2, summarizer=lambda dropped: 42)  # type: ignore[arg-type,return-value]
    with pytest.raises(InvalidArgument, match="must return str, got int"):
        window.fit(conversation(20))


def test_a_custom_counter_and_scorer_are_used():
    class WordCounter:
        def count(self, message: Message) -> int:
            return self.count_text(message.content) + 1

        def count_text(self, text: str) -> int:
            return len(text.split())

    assert isinstance(WordCounter(), TokenCounter)
    messages = [Message.user(f"one two three {i}") for i in range(10)]
    scored: list[int] = []

    def scorer(message: Message, position: int, count: int) -> float:
        scored.append(position)
        return 50.0

    window = ContextWindow(max_tokens=30, recent=2, counter=WordCounter(), scorer=scorer)
    fitted = window.fit(messages)
    assert fitted.tokens <= 30
    assert fitted.tokens == sum(WordCounter().count(m) for m in fitted.messages)
    assert sorted(scored) == list(range(8))


def test_a_leading_tool_result_without_its_call_is_its_own_unit():
    messages = [
        Message.tool("orphan " + "z" * 200, tool_call_id="gone"),
        *[Message.user(f"m{i} " + "x" * 40) for i in range(4)],
    ]
    fitted = ContextWindow(max_tokens=total(messages) - 30, recent=2).fit(messages)
    assert 0 in fitted.dropped_indices
    assert fitted.messages[1].role is Role.USER


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_tokens": 0}, "max_tokens must be >= 1"),
        ({"recent": -1}, "recent must be >= 0"),
        ({"importance_threshold": 101}, "importance_threshold must be within 0-100"),
        (
            {"max_tokens": 100, "summary_tokens": 100},
            "summary_tokens must be >= 0 and < max_tokens",
        ),
        ({"summary_role": Role.TOOL}, "summary_role cannot be 'tool'"),
    ],
)
def test_invalid_settings(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        ContextWindow(**kwargs)


def test_invalid_fit_arguments():
    window = ContextWindow()
    messages = conversation(2)
    with pytest.raises(InvalidArgument, match="pinned index 9"):
        window.fit(messages, pinned=[9])
    with pytest.raises(InvalidArgument, match="pinned index -1"):
        window.fit(messages, pinned=[-1])
    with pytest.raises(InvalidArgument, match="score 120"):
        window.fit(messages, scores={1: 120})
    with pytest.raises(InvalidArgument, match="score index 7"):
        window.fit(messages, scores={7: 1})
    with pytest.raises(InvalidArgument, match=r"messages\[1\] is not a Message"):
        window.fit([messages[0], "hello"])  # type: ignore[list-item]


def test_config_section_and_from_config():
    config = msgspec.convert({"max_tokens": 1000, "recent": 4}, ContextWindowConfig)
    assert config.reserve == 250
    assert ContextWindowConfig(max_tokens=8192).reserve == 256
    assert ContextWindowConfig(summary_tokens=10).reserve == 10
    window = ContextWindow.from_config(config)
    assert window.config == config
    assert "max_tokens=1000" in repr(window)
    with pytest.raises(msgspec.ValidationError, match="recent must be >= 0"):
        msgspec.convert({"recent": -2}, ContextWindowConfig)
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        msgspec.convert({"max_token": 2}, ContextWindowConfig)


def test_fitted_context_encodes_to_json():
    fitted = ContextWindow(max_tokens=300, recent=2).fit(conversation(10))
    decoded = msgspec.json.decode(msgspec.json.encode(fitted), type=FittedContext)
    assert decoded == fitted


def test_default_score_heuristic():
    assert default_score(Message.system("x"), 0, 1) == 100
    assert default_score(Message.user("x" * 500), 9, 10) == 80
    assert default_score(Message.user(""), 0, 10) == 20
    assert default_score(Message.assistant(""), 0, 10) == 15
    assert default_score(Message.tool("", tool_call_id="c"), 9, 10) == 25
    assert default_score(Message.user(""), 0, 1) == 60
    old = default_score(Message.user("hi"), 0, 20)
    new = default_score(Message.user("hi"), 19, 20)
    assert old < 30 < new


def test_approx_token_counter():
    counter = ApproxTokenCounter()
    assert counter.count_text("") == 0
    assert counter.count_text("abcd") == 1
    assert counter.count_text("abcde") == 2
    assert counter.count_text("é") == 1  # two UTF-8 bytes
    assert counter.count_text("€€") == 2  # six bytes
    assert counter.count(Message.user("")) == 4
    call = ToolCall("call_1", "search", {"query": "mxp"})
    with_call = counter.count(Message.assistant(tool_calls=[call]))
    assert with_call == 4 + 3 + -(-(6 + 6 + len(b'{"query":"mxp"}')) // 4)
    raw = ToolCall.parse("call_1", "search", '{"query": "mxp"}')
    assert counter.count(Message.assistant(tool_calls=[raw])) == 4 + 3 + -(-(6 + 6 + 16) // 4)
    coarse = ApproxTokenCounter(bytes_per_token=1, message_overhead=0)
    assert coarse.count(Message.user("abc", name="ada")) == 6
    with pytest.raises(InvalidArgument):
        ApproxTokenCounter(bytes_per_token=0)
    with pytest.raises(InvalidArgument):
        ApproxTokenCounter(message_overhead=-1)


def test_extractive_summarizer():
    summarize = ExtractiveSummarizer(max_chars=30)
    text = summarize(
        [
            Message.user("\n\n  First line. Second sentence.\nmore"),
            Message.assistant(tool_calls=[ToolCall("c1", "clock"), ToolCall("c2", "map")]),
            Message.assistant("Let me check", tool_calls=[ToolCall("c3", "clock")]),
            Message.tool("", tool_call_id="c1", name="clock"),
            Message.user("x" * 100, name="ada"),
        ]
    )
    assert text.splitlines() == [
        "- user: First line.",
        "- assistant: [called clock, map]",
        "- assistant: Let me check [called clock]",
        "- tool (clock): (empty)",
        "- user (ada): " + "x" * 29 + "…",
    ]
    with pytest.raises(InvalidArgument):
        ExtractiveSummarizer(max_chars=1)


# --- property test over random conversations with tool calls -------------------------------


@st.composite
def conversations(draw: st.DrawFn) -> list[Message]:
    messages = [Message.system("sys " * draw(st.integers(0, 20)))]
    call = 0
    for _ in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from(["user", "assistant", "tools", "system"]))
        size = draw(st.integers(0, 120))
        if kind == "user":
            messages.append(Message.user("u" * size))
        elif kind == "assistant":
            messages.append(Message.assistant("a" * size))
        elif kind == "system":
            messages.append(Message.system("s" * (size // 4)))
        else:
            ids = [f"c{call + i}" for i in range(draw(st.integers(1, 3)))]
            call += len(ids)
            messages.append(Message.assistant(tool_calls=[ToolCall(i, "tool") for i in ids]))
            messages.extend(Message.tool("r" * size, tool_call_id=i) for i in ids)
    return messages


@settings(max_examples=300, deadline=None)
@given(
    conversations(),
    st.integers(40, 900),
    st.integers(0, 6),
    st.floats(0, 100),
    st.data(),
)
def test_fit_invariants_over_random_conversations(messages, max_tokens, recent, threshold, data):
    pinned = data.draw(st.sets(st.integers(0, len(messages) - 1), max_size=2))
    window = ContextWindow(max_tokens=max_tokens, recent=recent, importance_threshold=threshold)
    error: ContextBudgetError | None = None
    fitted: FittedContext | None = None
    try:
        fitted = window.fit(messages, pinned=pinned)
    except ContextBudgetError as caught:
        error = caught
    if fitted is None:
        assert error is not None
        assert error.needed > error.budget == max_tokens
        return
    assert fitted.tokens == total(fitted.messages) <= max_tokens
    kept = kept_part(fitted)
    kept_indices = [i for i in range(len(messages)) if i not in set(fitted.dropped_indices)]
    assert kept == [messages[i] for i in kept_indices]
    assert fitted.dropped == tuple(messages[i] for i in fitted.dropped_indices)
    # system messages, pinned messages and the recent window are kept
    assert all(messages[i].role is not Role.SYSTEM for i in fitted.dropped_indices)
    assert not pinned & set(fitted.dropped_indices)
    others = [i for i, m in enumerate(messages) if m.role is not Role.SYSTEM]
    if recent:
        assert not set(others[-recent:]) & set(fitted.dropped_indices)
    # a call and its results are kept or dropped together
    dropped = set(fitted.dropped_indices)
    for i, message in enumerate(messages):
        answers = {call.id for call in message.tool_calls}
        for j, other in enumerate(messages):
            if other.tool_call_id in answers:
                assert (i in dropped) == (j in dropped)
    # the kept history never starts with a tool result, and a result follows its call
    history = [m for m in fitted.messages if m.role is not Role.SYSTEM]
    if history:
        assert history[0].role is not Role.TOOL
    for position, message in enumerate(fitted.messages):
        if message.role is Role.TOOL:
            assert fitted.messages[position - 1].role in (Role.TOOL, Role.ASSISTANT)
    # one summary exactly when something was dropped, right after the leading system messages
    assert (fitted.summary is not None) == bool(fitted.dropped)
    if fitted.summary is not None:
        at = fitted.messages.index(fitted.summary)
        assert all(m.role is Role.SYSTEM for m in fitted.messages[:at])
        assert all(m.role is not Role.TOOL for m in fitted.messages[at + 1 : at + 2])
    # deterministic
    assert msgspec.json.encode(window.fit(messages, pinned=pinned)) == msgspec.json.encode(fitted)


def test_a_recent_window_larger_than_the_conversation_keeps_every_message() -> None:
    # Regression: with fewer non-system messages than `recent`, a negative slice start used to
    # leave only the last message protected, so recent messages were compressed.
    messages = [
        Message.system(""),
        Message.user(""),
        Message.system(""),
        Message.user("u" * 17),
        Message.user("u" * 61),
    ]
    window = ContextWindow(max_tokens=40, recent=4, importance_threshold=0.0)
    with pytest.raises(ContextBudgetError):
        window.fit(messages)
