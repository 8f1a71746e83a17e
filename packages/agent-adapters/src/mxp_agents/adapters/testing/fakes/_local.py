"""`LocalHarness`: the conformance `Harness` of `LocalModel`, a live (unscripted) model."""

from __future__ import annotations

import functools
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final

import trio

from mxp_agents.adapters._local._engine import holding, load
from mxp_agents.adapters._local._model import LocalModel
from mxp_agents.adapters._local._paths import BUNDLED_MODEL_NAME
from mxp_agents.adapters._local._prompt import plan_request

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Sequence

    from mxp_agents.adapters._cost import PriceTable
    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters._retry import RetryPolicy
    from mxp_agents.adapters.testing.conformance._types import Reply, SeenRequest

__all__ = ["LocalHarness"]

_N_CTX: Final = 1024


class LocalHarness:
    """The conformance `Harness` of `LocalModel` running the bundled SmolLM2 (or ``model_path``).

    Not scriptable: the answers are the model's own, so only the live checks run. There is no
    server, so `seen` is empty and `disconnects` is 0. Needs llama-cpp-python and the model
    (``local_model_available()``).

    Example:
        >>> import pytest
        >>> from mxp_agents.adapters.testing import conformance
        >>> HARNESS = LocalHarness()
        >>> @pytest.mark.parametrize("name", conformance.check_names(HARNESS))
        ... async def test_conformance(name: str) -> None:
        ...     await conformance.run_check(name, HARNESS)
    """

    name = "local"
    scriptable = False
    features: frozenset[str] = frozenset(
        {"tools", "tool_choice", "json_schema", "stop", "temperature"}
    )

    def __init__(self, model_path: str | None = None, *, n_ctx: int = _N_CTX) -> None:
        self.model_name = BUNDLED_MODEL_NAME
        self.api_key = ""
        self._model_path = model_path
        self._n_ctx = n_ctx
        self._current: LocalModel | None = None

    @asynccontextmanager
    async def model(
        self,
        replies: Sequence[Reply],
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = 10.0,  # noqa: ASYNC109 - the adapter's setting, per Harness
        prices: PriceTable | None = None,
        cycle: bool = False,
    ) -> AsyncGenerator[LocalModel]:
        """A `LocalModel` (``replies`` must be empty: a live model cannot be scripted).

        Example:
            >>> async with LocalHarness().model([]) as model:  # doctest: +SKIP
            ...     (await model.complete(request)).provider
            'local'
        """
        if replies:
            raise ValueError("LocalHarness runs a live model: it cannot play scripted replies")
        adapter = LocalModel(
            self._model_path,
            n_ctx=self._n_ctx,
            timeout=timeout,
            retry=retry,
            prices=prices,
        )
        self.model_name = adapter.model_name
        self._current = adapter
        try:
            async with adapter:
                yield adapter
        finally:
            self._current = None

    def seen(self) -> list[SeenRequest]:
        """Always empty: a local model has no server that receives requests.

        Example:
            >>> LocalHarness().seen()
            []
        """
        return []

    @property
    def disconnects(self) -> int:
        """Always 0: there is no connection to drop.

        Example:
            >>> LocalHarness().disconnects
            0
        """
        return 0

    async def direct_call(self, request: ModelRequest) -> object:
        """``request``'s messages sent straight to ``Llama.create_chat_completion`` (greedy),
        bypassing the adapter's mapping; its raw answer dict.

        Example:
            >>> async with harness.model([]):  # doctest: +SKIP
            ...     answer = await harness.direct_call(request)
        """
        adapter = self._current
        if adapter is None:
            raise RuntimeError("direct_call works inside `async with harness.model([])`")
        loaded = await load(adapter._key, adapter.model_name)  # pyright: ignore[reportPrivateUsage]
        messages = plan_request(request).messages
        async with holding(loaded) as llama:
            call = functools.partial(
                llama.create_chat_completion,
                messages=messages,  # pyright: ignore[reportArgumentType]
                max_tokens=request.max_output_tokens,
                temperature=0.0,
                seed=0,
            )
            return await trio.to_thread.run_sync(call)
