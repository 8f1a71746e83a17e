"""One generation on a loaded llama.cpp model, advanced chunk by chunk from worker threads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, cast

from mxp_agents.adapters._errors import ContextLengthExceededError, InvalidRequestError
from mxp_agents.adapters._local._grammar import grammar_for
from mxp_agents.adapters._local._prompt import Mode

if TYPE_CHECKING:
    from collections.abc import Iterator

    from llama_cpp import Llama

    from mxp_agents.adapters._local._prompt import Plan

__all__ = ["Run", "Sampling"]


class Sampling(NamedTuple):
    """The sampling options of one generation."""

    temperature: float
    max_tokens: int | None
    stop: tuple[str, ...]
    seed: int


class _TokenCounter:
    """A llama.cpp stopping criterion that never stops: it counts the tokens sampled.

    llama.cpp calls it after sampling each token with the tokens evaluated so far (the
    prompt, then one more each time), and once more at the end with the same length as the
    last call; so the number of distinct lengths is the number of sampled tokens.
    """

    __slots__ = ("first", "last")

    def __init__(self) -> None:
        self.first: int | None = None
        self.last = 0

    def __call__(self, input_ids: Any, logits: Any) -> bool:
        length = len(input_ids)
        if self.first is None:
            self.first = length
        self.last = length
        return False

    @property
    def sampled(self) -> int:
        return 0 if self.first is None else self.last - self.first + 1


class _Capture:
    """Stands in for the ``Llama`` when a chat handler runs: it tokenizes with the real one and
    records the completion call instead of making it, which gives the prompt tokens and the
    chat format's stop strings and criteria."""

    def __init__(self, llama: Llama) -> None:
        self._llama = llama
        self.call: dict[str, Any] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llama, name)

    def create_completion(self, **options: Any) -> Iterator[Any]:
        self.call = options
        return iter(())


def _formatted(llama: Llama, messages: list[dict[str, str]], model_name: str) -> dict[str, Any]:
    from llama_cpp import llama_chat_format

    # The handler create_chat_completion would use (the GGUF's own template by default).
    handlers: dict[str, Any] = getattr(llama, "_chat_handlers", {})
    name = llama.chat_format or ""
    handler: Any = llama.chat_handler or handlers.get(name)
    if handler is None:
        try:
            handler = llama_chat_format.get_chat_completion_handler(name)
        except Exception as error:  # LlamaChatCompletionHandlerNotFoundException
            raise InvalidRequestError(
                f"unknown chat_format {name!r} ({error})", provider="local", model=model_name
            ) from None
    capture = _Capture(llama)
    handler(llama=capture, messages=messages, stream=True)
    if capture.call is None or not isinstance(capture.call.get("prompt"), list):
        raise InvalidRequestError(
            f"the chat format {name!r} does not build a plain prompt; use a chat template format",
            provider="local",
            model=model_name,
        )
    return capture.call


class Run:
    """One generation, driven from worker threads (never two at once)."""

    def __init__(self, llama: Llama, plan: Plan, sampling: Sampling, model_name: str) -> None:
        from llama_cpp import StoppingCriteriaList

        call = _formatted(llama, plan.messages, model_name)
        prompt: list[int] = call["prompt"]
        self.prompt_tokens = len(prompt)
        if self.prompt_tokens >= llama.n_ctx():
            raise ContextLengthExceededError(
                f"the prompt is {self.prompt_tokens} tokens; the context window (n_ctx) "
                f"holds {llama.n_ctx()}",
                provider="local",
                model=model_name,
            )
        self.counter = _TokenCounter()
        self.finish = "stop"
        # Evaluate the prompt from scratch: reusing the previous call's KV cache for a shared
        # prefix changes the numerics slightly, and so greedy answers would depend on history.
        llama.reset()
        theirs: list[Any] = list(call.get("stopping_criteria") or [])
        stop = _strings(call.get("stop"))
        chunks = llama.create_completion(
            prompt=prompt,
            max_tokens=sampling.max_tokens,
            temperature=sampling.temperature,
            stop=[*stop, *sampling.stop],
            seed=sampling.seed,
            # A mild penalty keeps a small model out of loops in prose; it would only
            # distort structured output, where the grammar decides the punctuation.
            repeat_penalty=1.1 if plan.mode is Mode.TEXT else 1.0,
            stopping_criteria=StoppingCriteriaList([*theirs, self.counter]),
            grammar=grammar_for(plan),
            stream=True,
        )
        self._chunks = cast("Iterator[dict[str, Any]]", chunks)

    def step(self) -> str | None:
        chunk = next(self._chunks, None)
        if chunk is None:
            return None
        choice = chunk["choices"][0]
        if choice.get("finish_reason") is not None:
            self.finish = str(choice["finish_reason"])
        return str(choice.get("text") or "")

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


def _strings(value: object) -> list[str]:
    """A chat format's ``stop`` option (None, a string or a list of them) as a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        items: list[object] = value  # pyright: ignore[reportUnknownVariableType]
        return [item for item in items if isinstance(item, str)]
    return []
