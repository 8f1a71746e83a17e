"""Loaded llama.cpp models: one per configuration per process, one generation at a time each.

A `LoadedModel` is loaded in a worker thread on first use and cached for the process. A
generation (`generate`) holds the model for its whole length — a per-run trio
`CapacityLimiter` queues the callers of one trio run (cancellably), a `threading.Lock` keeps
trio runs in other threads off it — and advances the llama.cpp token stream one chunk per
worker-thread call, so the trio thread never blocks and a cancelled or closed stream stops
generating after the token being computed.
"""

from __future__ import annotations

import atexit
import functools
import threading
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final, NamedTuple

import trio

from mxp_agents.adapters._local._paths import LocalModelUnavailable, missing_llama_cpp
from mxp_agents.adapters._local._run import Run, Sampling

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from llama_cpp import Llama

    from mxp_agents.adapters._local._prompt import Plan

__all__ = [
    "LoadKey",
    "LoadedModel",
    "Outcome",
    "Sampling",
    "cached_model",
    "generate",
    "holding",
    "load",
]


class LoadKey(NamedTuple):
    """What makes two loaded models different: file, context size, threads, chat format."""

    path: str
    n_ctx: int
    n_threads: int | None
    chat_format: str | None


class LoadedModel:
    """A loaded ``llama_cpp.Llama`` and the lock that keeps other threads off it."""

    __slots__ = ("key", "llama", "thread_lock")

    def __init__(self, key: LoadKey, llama: Llama) -> None:
        self.key = key
        self.llama = llama
        self.thread_lock = threading.Lock()


class Outcome:
    """What a finished generation reports: prompt and output tokens, and why it stopped."""

    __slots__ = ("finish", "output_tokens", "prompt_tokens")

    def __init__(self) -> None:
        self.prompt_tokens = 0
        self.output_tokens = 0
        self.finish = "stop"  # llama.cpp's finish reason: "stop" or "length"


_MODELS: Final[dict[LoadKey, LoadedModel]] = {}
_LOADING: Final = threading.Lock()
_LIMITERS: Final[trio.lowlevel.RunVar[dict[LoadKey, trio.CapacityLimiter]]] = trio.lowlevel.RunVar(
    "mxp_agents_local_limiters"
)


def cached_model(key: LoadKey) -> LoadedModel | None:
    """The model loaded for ``key`` in this process, if any."""
    return _MODELS.get(key)


async def load(key: LoadKey, model_name: str) -> LoadedModel:
    """The model for ``key``, loading it in a worker thread the first time (once per process).

    Concurrent first calls load it once: the loading thread holds a process-wide lock and
    the others find the model cached when they get it. Cancelling abandons the wait; the
    load finishes in the background and is cached.
    """
    found = _MODELS.get(key)
    if found is not None:
        return found
    return await trio.to_thread.run_sync(
        functools.partial(_load, key, model_name), abandon_on_cancel=True
    )


def _load(key: LoadKey, model_name: str) -> LoadedModel:
    with _LOADING:
        found = _MODELS.get(key)
        if found is not None:
            return found
        try:
            from llama_cpp import Llama
        except ImportError:
            raise missing_llama_cpp(model_name) from None
        try:
            llama = Llama(
                model_path=key.path,
                n_ctx=key.n_ctx,
                n_threads=key.n_threads,
                chat_format=key.chat_format,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as error:
            raise LocalModelUnavailable(
                f"could not load the model file {key.path}: {error}",
                provider="local",
                model=model_name,
            ) from None
        loaded = _MODELS[key] = LoadedModel(key, llama)
        return loaded


@atexit.register
def _close_all() -> None:
    # Free the models while llama_cpp is still intact: left to garbage collection at
    # interpreter shutdown, Llama.__del__ fails noisily on half-torn-down modules.
    # A model still generating in a (daemon) worker thread is left alone.
    for loaded in list(_MODELS.values()):
        if loaded.thread_lock.acquire(blocking=False):
            loaded.llama.close()
    _MODELS.clear()


def _limiter(key: LoadKey) -> trio.CapacityLimiter:
    try:
        table = _LIMITERS.get()
    except LookupError:
        table: dict[LoadKey, trio.CapacityLimiter] = {}
        _LIMITERS.set(table)
    limiter = table.get(key)
    if limiter is None:
        limiter = table[key] = trio.CapacityLimiter(1)
    return limiter


@asynccontextmanager
async def holding(loaded: LoadedModel) -> AsyncGenerator[Llama]:
    """Hold ``loaded`` for one use: wait (cancellably) for other users of this trio run, then
    (rarely, not cancellably) for a trio run in another thread, and give its ``Llama``.

    The ``Llama`` must only be used from worker threads, inside this block.
    """
    borrower = object()
    limiter = _limiter(loaded.key)
    await limiter.acquire_on_behalf_of(borrower)
    try:
        if not loaded.thread_lock.acquire(blocking=False):
            await trio.to_thread.run_sync(loaded.thread_lock.acquire)
        try:
            yield loaded.llama
        finally:
            loaded.thread_lock.release()
    finally:
        # On behalf of a token, not the task: a generator may be finalized by another task.
        limiter.release_on_behalf_of(borrower)


async def generate(
    loaded: LoadedModel, plan: Plan, sampling: Sampling, outcome: Outcome, model_name: str
) -> AsyncGenerator[str]:
    """The text of one generation, piece by piece (usually a token each); fills ``outcome``.

    Waits (cancellably) while another generation holds the model. Closing or cancelling
    the generator stops llama.cpp after the chunk being computed and frees the model.
    """
    async with holding(loaded) as llama:
        run = await trio.to_thread.run_sync(Run, llama, plan, sampling, model_name)
        try:
            while True:
                piece = await trio.to_thread.run_sync(run.step)
                if piece is None:
                    break
                if piece:
                    yield piece
        finally:
            run.close()
            outcome.prompt_tokens = run.prompt_tokens
            outcome.output_tokens = run.counter.sampled
            outcome.finish = run.finish
