"""The memory conformance suites run against the MXP clients: `MxpVectorStore` and `MxpJournal`
talking over real UDP on 127.0.0.1 to `serve_memory` hosting an `EmbeddedVectorStore` and a
`FileJournal` (each journal open restarts the server on the same directory)."""

from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

import pytest

from mxp.transport import Endpoint
from mxp_agents.kernel._memory_server import serve_memory
from mxp_agents.kernel._mxp_journal import MxpJournal
from mxp_agents.kernel._mxp_vector_store import MxpVectorStore
from mxp_agents.memory import Journal, VectorStore
from mxp_agents.memory._file import FileJournal
from mxp_agents.memory.testing import (
    journal_check_names,
    run_journal_check,
    run_vector_check,
    vector_check_names,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path


@pytest.mark.parametrize("name", journal_check_names())
async def test_mxp_journal_passes_the_journal_suite(name: str, tmp_path: Path) -> None:
    directory = tmp_path / "journal"

    @asynccontextmanager
    async def open_journal() -> AsyncIterator[Journal]:
        async with AsyncExitStack() as stack:
            served = await stack.enter_async_context(FileJournal.opened(directory))
            server = await stack.enter_async_context(serve_memory(journal=served).running())
            endpoint = await stack.enter_async_context(Endpoint.bind("127.0.0.1", 0))
            journal = await MxpJournal.connect(server.address, endpoint=endpoint)
            try:
                yield journal
            finally:
                await journal.aclose()

    await run_journal_check(name, open_journal)


@pytest.mark.parametrize("name", vector_check_names())
async def test_mxp_vector_store_passes_the_vector_suite(name: str) -> None:
    from mxp_agents.memory import EmbeddedVectorStore

    @asynccontextmanager
    async def open_store(dimensions: int) -> AsyncIterator[VectorStore]:
        async with AsyncExitStack() as stack:
            served = EmbeddedVectorStore(dimensions)
            stack.push_async_callback(served.aclose)
            server = await stack.enter_async_context(serve_memory(vectors=served).running())
            endpoint = await stack.enter_async_context(Endpoint.bind("127.0.0.1", 0))
            store = await stack.enter_async_context(
                MxpVectorStore(server.address, endpoint=endpoint)
            )
            yield store

    await run_vector_check(name, open_store)
