"""A memory agent over real UDP on 127.0.0.1: two agents sharing one vector store through a
registry, big answers as Streams, big upserts split, errors carried across, both vector forms
(JSON arrays and compact float32), journal reads streamed to another agent, and a server that
serves no journal."""

from __future__ import annotations

import array
import base64
import math
import struct
import sys
from contextlib import AsyncExitStack

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mxp import MessageType
from mxp.bodies import format_address
from mxp.registry import RegistryServer
from mxp.transport import Endpoint, new_message
from mxp_agents.adapters.testing import ScriptedModel, Step
from mxp_agents.kernel import Agent, Kernel, KernelConfig, call_agent
from mxp_agents.kernel._call_body import InvalidCallBody
from mxp_agents.kernel._memory_answers import VectorInfo
from mxp_agents.kernel._memory_errors import MemoryServiceError
from mxp_agents.kernel._memory_server import serve_memory
from mxp_agents.kernel._memory_service import decode_record, encode_record
from mxp_agents.kernel._memory_wire import Append, Query, Upsert, parse_memory_call
from mxp_agents.kernel._mxp_journal import MxpJournal
from mxp_agents.kernel._mxp_vector_store import MxpVectorStore
from mxp_agents.kernel._vector_encoding import (
    encoded_points,
    packed,
    unpacked_points,
    unpacked_vector,
)
from mxp_agents.memory import (
    EmbeddedVectorStore,
    InvalidRecord,
    JournalCorrupted,
    MemoryChannel,
    MemoryRecord,
    VectorPoint,
    VectorQuery,
)
from mxp_agents.memory._file import FileJournal
from mxp_agents.primitives import ToolCall
from mxp_agents.tools import tool

DIMS = 16


def axis(index: int, dims: int = DIMS) -> list[float]:
    return [1.0 if i == index else 0.0 for i in range(dims)]


async def raw_call(endpoint: Endpoint, address, body: bytes) -> tuple[MessageType, dict]:
    reply = await endpoint.request(new_message(MessageType.CALL, body), address, 5.0)
    return reply.type, msgspec.json.decode(reply.payload)


# -- two agents, one memory ---------------------------------------------------------------------


def memory_agent(name: str, point: str, at: int, seen: dict[str, list[str]]) -> Agent:
    """An agent whose tools write to and read from the shared memory ("memory.vectors")."""
    store = MxpVectorStore("memory.vectors")  # endpoint and registry: its kernel's

    @tool
    async def remember(key: str, direction: int) -> str:
        """Store a point.

        Args:
            key: The point's id.
            direction: The axis it points along.
        """
        await store.upsert([VectorPoint(key, axis(direction), tags=(name,))])
        return "stored"

    @tool
    async def recall(direction: int) -> str:
        """Find the points nearest to an axis.

        Args:
            direction: The axis.
        """
        matches = await store.query(VectorQuery(axis(direction), top_k=10))
        seen[name] = sorted(m.id for m in matches if m.score > 0.5)
        return ",".join(seen[name])

    model = ScriptedModel(
        [
            Step.tool_calls(ToolCall("c1", "remember", {"key": point, "direction": at})),
            Step.text("stored"),
            Step.tool_calls(ToolCall("c2", "recall", {"direction": 0})),
            Step.text("recalled"),
        ]
    )
    return Agent(name, model=model, tools=[remember, recall])


async def test_two_agents_share_one_memory_service_found_through_the_registry() -> None:
    seen: dict[str, list[str]] = {}
    async with RegistryServer.open("127.0.0.1", 0) as registry:
        config = KernelConfig(registry=format_address(*registry.address))
        served = EmbeddedVectorStore(DIMS)
        async with AsyncExitStack() as stack:
            server = await stack.enter_async_context(
                serve_memory(vectors=served, config=config).running()
            )
            assert server.capabilities == ("memory.vectors",)
            first = await stack.enter_async_context(
                Kernel(memory_agent("first", "from-first", 0, seen), config=config).running()
            )
            second = await stack.enter_async_context(
                Kernel(memory_agent("second", "from-second", 0, seen), config=config).running()
            )
            client = await stack.enter_async_context(Endpoint.bind("127.0.0.1", 0))
            # each agent stores its point, then each recalls: both see both points
            assert (await call_agent(client, first.address, "store")).text == "stored"
            assert (await call_agent(client, second.address, "store")).text == "stored"
            assert (await call_agent(client, first.address, "recall")).text == "recalled"
            assert (await call_agent(client, second.address, "recall")).text == "recalled"
        assert await served.count() == 2
        await served.aclose()
    assert seen == {"first": ["from-first", "from-second"], "second": ["from-first", "from-second"]}


async def test_two_clients_on_separate_endpoints_see_each_others_points() -> None:
    served = EmbeddedVectorStore(DIMS)
    async with (
        serve_memory(vectors=served).running() as server,
        Endpoint.bind("127.0.0.1", 0) as one,
        Endpoint.bind("127.0.0.1", 0) as two,
        MxpVectorStore(server.address, endpoint=one) as a,
        MxpVectorStore(format_address(*server.address), endpoint=two) as b,
    ):
        assert (a.dimensions, a.metric, a.remote) == (DIMS, served.metric, True)
        await a.upsert([VectorPoint("a1", axis(1), metadata={"by": "a"})])
        await b.upsert([VectorPoint("b1", axis(2), metadata={"by": "b"})])
        assert await a.count() == await b.count() == 2
        found = await a.query(VectorQuery(axis(2), top_k=1))
        assert [(m.id, m.metadata) for m in found] == [("b1", {"by": "b"})]
        assert await b.remove(["a1", "nope"]) == 1
        assert [m.id for m in await a.query(VectorQuery(axis(1), top_k=5))] == ["b1"]
        await a.save()
    await served.aclose()


# -- size: answers as Streams, upserts split ----------------------------------------------------


async def test_a_big_query_answer_travels_as_a_stream() -> None:
    served = EmbeddedVectorStore(DIMS)
    count = 600
    points = [
        VectorPoint(f"p{i:04}", [math.sin(i + d) for d in range(DIMS)], metadata={"text": "x" * 80})
        for i in range(count)
    ]
    async with (
        serve_memory(vectors=served).running() as server,
        Endpoint.bind("127.0.0.1", 0) as endpoint,
        MxpVectorStore(server.address, endpoint=endpoint) as store,
    ):
        await store.upsert(points)
        before = server.endpoint.metrics().frames_out.get("STREAM_CHUNK", 0)
        found = await store.query(VectorQuery(axis(0), top_k=count, exact=True))
        chunks = server.endpoint.metrics().frames_out.get("STREAM_CHUNK", 0) - before
    assert len(found) == count
    assert sorted(m.id for m in found) == [p.id for p in points]
    assert all(m.metadata == {"text": "x" * 80} for m in found)
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert chunks >= 2  # ~100 KB of matches: more than one datagram
    await served.aclose()


async def test_a_big_upsert_is_split_into_calls_of_one_datagram() -> None:
    served = EmbeddedVectorStore(64)
    points = [VectorPoint(f"p{i}", [(i % 7) + d / 64 for d in range(64)]) for i in range(400)]
    async with (
        serve_memory(vectors=served).running() as server,
        Endpoint.bind("127.0.0.1", 0) as endpoint,
        MxpVectorStore(server.address, endpoint=endpoint) as store,
    ):
        before = server.endpoint.metrics().frames_in
        await store.upsert(points)
        after = server.endpoint.metrics().frames_in
        assert await store.count() == 400
        # a repeated id across the split calls: sent in order, the last one wins
        again = [*points, VectorPoint("p0", axis(5, 64))]
        await store.upsert(again)
        found = await store.query(VectorQuery(axis(5, 64), top_k=1, exact=True))
        assert [(m.id, round(m.score, 4)) for m in found] == [("p0", 1.0)]
    calls = after.get("CALL", 0) - before.get("CALL", 0)
    uploads = after.get("STREAM_OPEN", 0) - before.get("STREAM_OPEN", 0)
    limit = endpoint.config.max_datagram_payload
    assert calls >= len(b",".join(encoded_points(points, 64))) // limit + 1
    assert uploads == 0  # every call fitted one datagram
    await served.aclose()


async def test_compact_vectors_fit_four_times_more_points_per_datagram() -> None:
    dims, count = 384, 300
    rows = [[math.sin(i * 0.37 + d) for d in range(dims)] for i in range(count)]
    points = [VectorPoint(f"doc-{i:04}", rows[i], metadata={"i": i}) for i in range(count)]
    calls: dict[bool, int] = {}
    for compact in (True, False):
        served = EmbeddedVectorStore(dims)
        async with (
            serve_memory(vectors=served).running() as server,
            Endpoint.bind("127.0.0.1", 0) as endpoint,
            MxpVectorStore(server.address, endpoint=endpoint, compact=compact) as store,
        ):
            before = server.endpoint.metrics().frames_in
            await store.upsert(points)
            after = server.endpoint.metrics().frames_in
            assert after.get("STREAM_OPEN", 0) == before.get("STREAM_OPEN", 0)
            calls[compact] = after.get("CALL", 0) - before.get("CALL", 0)
            assert await store.count() == count
            found = await store.query(VectorQuery(rows[7], top_k=1, exact=True))
            assert [m.id for m in found] == ["doc-0007"]
            assert found[0].score == pytest.approx(1.0, abs=1e-5)
            stored = await served.query(VectorQuery(rows[7], top_k=1, exact=True))
            assert stored[0].metadata == {"i": 7}
        await served.aclose()
    # ~2.1 KB a point instead of ~8 KB: 25+ points a datagram instead of ~7
    assert calls[True] <= -(-count // 25)
    assert calls[True] * 3 <= calls[False]


# -- the vector encodings ------------------------------------------------------------------------


def f32(values: list[float]) -> dict[str, str]:
    """The compact form of ``values``, built here by hand (as another language would)."""
    data = struct.pack(f"<{len(values)}f", *values)
    return {"f32": base64.b64encode(data).decode()}


async def test_the_server_reads_both_vector_forms() -> None:
    served = EmbeddedVectorStore(DIMS)
    async with (
        serve_memory(vectors=served).running() as server,
        Endpoint.bind("127.0.0.1", 0) as endpoint,
    ):
        kind, info = await raw_call(endpoint, server.address, b'{"op":"info"}')
        assert info["vectors"]["encodings"] == ["f32"]
        points = [
            {"id": "listed", "vector": axis(1)},
            {"id": "packed", "vector": f32(axis(2)), "tags": ["t"], "metadata": {"k": 1}},
        ]
        kind, answer = await raw_call(
            endpoint, server.address, msgspec.json.encode({"op": "upsert", "points": points})
        )
        assert (kind, answer) == (MessageType.RESPONSE, {"upserted": 2})
        for vector, expected in ((f32(axis(2)), "packed"), (axis(1), "listed")):
            body = {"op": "query", "query": {"vector": vector, "top_k": 1, "exact": True}}
            kind, answer = await raw_call(endpoint, server.address, msgspec.json.encode(body))
            assert kind is MessageType.RESPONSE
            assert [m["id"] for m in answer["matches"]] == [expected]
        found = await served.query(VectorQuery(axis(2), top_k=1, tags=("t",)))
        assert [(m.id, m.metadata, round(m.score, 6)) for m in found] == [("packed", {"k": 1}, 1.0)]
    await served.aclose()


@pytest.mark.parametrize(
    ("vector", "reason", "path"),
    [
        ({"f32": "AAAA!AAA"}, "invalid base64", "$.points[1].vector.f32"),
        ({"f32": "AAA"}, "invalid base64", "$.points[1].vector.f32"),
        ({"f32": 5}, "expected base64 str, got int", "$.points[1].vector.f32"),
        ({"f32": base64.b64encode(bytes(6)).decode()}, "multiple of 4 bytes", "$.points[1].vector"),
        (f32([0.5] * (DIMS - 1)), f"expected {DIMS} values, got {DIMS - 1}", "$.points[1].vector"),
        (f32([0.5] * (DIMS + 1)), f"expected {DIMS} values, got {DIMS + 1}", "$.points[1].vector"),
        (
            f32([0.5] * 3 + [math.nan] + [0.5] * (DIMS - 4)),
            "expected a finite float, got nan",
            "$.points[1].vector[3]",
        ),
        (
            f32([0.5] * (DIMS - 1) + [-math.inf]),
            "expected a finite float, got -inf",
            f"$.points[1].vector[{DIMS - 1}]",
        ),
        ({"f32": f32(axis(0))["f32"], "f64": "x"}, "one field, 'f32'", "$.points[1].vector.f64"),
        ({}, "an array of numbers or {'f32'", "$.points[1].vector"),
    ],
)
async def test_bad_compact_vectors_are_refused_with_their_path(vector, reason, path) -> None:
    served = EmbeddedVectorStore(DIMS)
    async with (
        serve_memory(vectors=served).running() as server,
        Endpoint.bind("127.0.0.1", 0) as endpoint,
    ):
        points = [{"id": "ok", "vector": f32(axis(0))}, {"id": "bad", "vector": vector}]
        body = msgspec.json.encode({"op": "upsert", "points": points})
        kind, error = await raw_call(endpoint, server.address, body)
        assert kind is MessageType.ERROR
        assert (error["code"], error["kind"], error["path"]) == (
            "memory_error",
            "invalid_record",
            path,
        )
        assert reason in error["reason"]
        assert error["error"].endswith(f" - at {path}")
        # the same vector in a query: its path in the query body
        query = {"op": "query", "query": {"vector": vector}}
        kind, error = await raw_call(endpoint, server.address, msgspec.json.encode(query))
        assert (kind, error["kind"]) == (MessageType.ERROR, "invalid_record")
        assert error["path"] == path.replace("$.points[1]", "$.query")
        assert await served.count() == 0  # the batch was not applied
    await served.aclose()


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.floats(width=32, allow_nan=False, allow_infinity=False), min_size=1, max_size=40
    )
)
def test_float32_vectors_cross_the_wire_exactly(values) -> None:
    body = msgspec.json.encode({"op": "query", "query": {"vector": packed(values, None, "$")}})
    call = parse_memory_call(body)
    assert isinstance(call, Query)
    decoded = unpacked_vector(call.query.vector, len(values), "$.query.vector")
    assert isinstance(decoded, array.array)
    assert decoded.tolist() == values
    assert msgspec.json.decode(body)["query"]["vector"] == f32(values)  # little-endian, padded


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(
        st.floats(-3.4e38, 3.4e38, allow_nan=False, allow_infinity=False), min_size=1, max_size=20
    )
)
def test_doubles_are_sent_rounded_to_the_nearest_float32(values) -> None:
    sent = array.array("f")
    sent.frombytes(packed(values, len(values), "$.vector").f32)
    if sys.byteorder == "big":
        sent.byteswap()
    assert sent.tolist() == [struct.unpack("<f", struct.pack("<f", v))[0] for v in values]


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.floats(width=32, allow_nan=False, allow_infinity=False), min_size=1, max_size=40
    ),
    bad=st.lists(
        st.tuples(st.integers(0, 39), st.sampled_from([math.nan, math.inf, -math.inf])),
        max_size=3,
    ),
)
def test_the_first_non_finite_value_is_named(values, bad) -> None:
    for index, value in bad:
        values[index % len(values)] = value
    first = min((i % len(values) for i, _ in bad), default=None)
    packed_form = f32(values)
    if first is None:
        decoded = unpacked_vector(packed_form, len(values), "$.v")
        assert isinstance(decoded, array.array)
        assert decoded.tolist() == values
        return
    with pytest.raises(InvalidRecord) as refused:
        unpacked_vector(packed_form, len(values), "$.v")
    assert refused.value.path == f"$.v[{first}]"
    with pytest.raises(InvalidRecord) as refused:
        packed(values, len(values), "$.v")
    assert refused.value.path == f"$.v[{first}]"


def test_the_client_refuses_what_float32_cannot_carry() -> None:
    import numpy as np

    with pytest.raises(InvalidRecord, match=r"1e\+39 is beyond the float32 range - at \$\.v\[1\]"):
        packed([0.0, 1e39], 2, "$.v")
    with pytest.raises(InvalidRecord, match=r"beyond the float32 range - at \$\.v\[0\]"):
        packed([np.float64(-1e300), 1.0], 2, "$.v")
    with pytest.raises(InvalidRecord, match=r"expected a finite float, got nan - at \$\.v\[1\]"):
        packed([0.0, math.nan], 2, "$.v")
    with pytest.raises(InvalidRecord, match=r"expected float, got bool - at \$\.v\[0\]"):
        packed([True, 0.0], 2, "$.v")
    with pytest.raises(InvalidRecord, match=r"expected a finite float .* - at \$\.v\[0\]"):
        packed([10**400], 1, "$.v")
    with pytest.raises(InvalidRecord, match=r"expected 3 values, got 2 - at \$\.v"):
        packed(np.zeros(2, dtype=np.float32), 3, "$.v")
    assert packed(np.arange(3, dtype=np.float32), 3, "$.v") == packed([0, 1, 2], 3, "$.v")
    assert packed([np.float32(0.5), np.int64(2)], 2, "$.v") == packed([0.5, 2.0], 2, "$.v")
    # an older server's info has no encodings: its clients send JSON arrays
    old = msgspec.json.decode(b'{"dimensions": 3, "metric": "cosine"}', type=VectorInfo)
    assert old.encodings == ()


async def test_a_json_client_and_a_compact_client_share_one_store() -> None:
    served = EmbeddedVectorStore(DIMS)
    async with (
        serve_memory(vectors=served).running() as server,
        Endpoint.bind("127.0.0.1", 0) as endpoint,
        MxpVectorStore(server.address, endpoint=endpoint, compact=False) as plain,
        MxpVectorStore(server.address, endpoint=endpoint) as compact,
    ):
        third = [1 / 3] * DIMS
        await plain.upsert([VectorPoint("plain", third)])
        await compact.upsert([VectorPoint("compact", axis(4))])
        assert [m.id for m in await compact.query(VectorQuery(third, top_k=1))] == ["plain"]
        assert [m.id for m in await plain.query(VectorQuery(axis(4), top_k=1))] == ["compact"]
        with pytest.raises(InvalidRecord, match=r"expected 16 values, got 2 - at \$\.vector"):
            await compact.query(VectorQuery([1.0, 0.0]))
    await served.aclose()


# -- errors -------------------------------------------------------------------------------------


async def test_the_served_stores_errors_reach_the_client_as_the_same_class() -> None:
    served = EmbeddedVectorStore(DIMS)
    async with (
        serve_memory(vectors=served).running() as server,
        Endpoint.bind("127.0.0.1", 0) as endpoint,
        MxpVectorStore(server.address, endpoint=endpoint) as store,
    ):
        # checked by the served store: a short query vector
        with pytest.raises(InvalidRecord) as short:
            await store.query(VectorQuery([1.0, 0.0]))
        assert short.value.path == "$.vector"
        assert str(DIMS) in str(short.value)
        # a raw body: the served store's own message and path, in the Error body
        body = b'{"op":"upsert","points":[{"id":"x","vector":[1.0,2.0]}]}'
        kind, error = await raw_call(endpoint, server.address, body)
        assert kind is MessageType.ERROR
        assert (error["code"], error["kind"]) == ("memory_error", "invalid_record")
        assert error["path"] == "$.points[0].vector"
        # checked here before anything is sent: the path is the caller's
        calls = server.endpoint.metrics().frames_in.get("CALL", 0)
        batch = [VectorPoint(f"p{i}", axis(i)) for i in range(5)]
        batch[3] = VectorPoint("p3", [0.5] * (DIMS + 1))
        with pytest.raises(InvalidRecord, match=r"expected 16 values, got 17 - at \$\.points\[3\]"):
            await store.upsert(batch)
        with pytest.raises(InvalidRecord, match=r"bytes .* at \$\.points\[0\]\.metadata\.k"):
            await store.upsert([VectorPoint("b", axis(0), metadata={"k": b"raw"})])
        assert server.endpoint.metrics().frames_in.get("CALL", 0) == calls
        assert await store.count() == 0
    await served.aclose()


async def test_kernel_refusals_and_bad_bodies_are_memory_service_errors() -> None:
    served = EmbeddedVectorStore(DIMS)
    async with (
        serve_memory(vectors=served).running() as server,
        Endpoint.bind("127.0.0.1", 0) as endpoint,
        MxpVectorStore(server.address, endpoint=endpoint) as store,
    ):
        kind, error = await raw_call(endpoint, server.address, b'{"task": "hi"}')
        assert (kind, error["code"]) == (MessageType.ERROR, "invalid_request")
        assert "this agent serves memory" in error["error"]
        kind, error = await raw_call(endpoint, server.address, b'{"op": "nope"}')
        assert error["code"] == "invalid_request"
        assert "$.op" in error["error"]
        await server.kernel.suspend()
        with pytest.raises(MemoryServiceError) as refused:
            await store.count()
        assert refused.value.code == "suspended"
        assert refused.value.retryable
        await server.kernel.resume()
        assert await store.count() == 0
    await served.aclose()


async def test_a_server_without_a_journal_says_so(tmp_path) -> None:
    served = EmbeddedVectorStore(DIMS)
    async with (
        serve_memory(vectors=served).running() as server,
        Endpoint.bind("127.0.0.1", 0) as endpoint,
    ):
        assert server.capabilities == ("memory.vectors",)
        with pytest.raises(MemoryServiceError, match="serves no journal") as refused:
            await MxpJournal.connect(server.address, endpoint=endpoint)
        assert refused.value.code == "unsupported"
        record = msgspec.msgpack.encode(MemoryRecord(MemoryChannel.INPUT, "hi"))
        body = msgspec.json.encode({"op": "append", "record": record})
        kind, error = await raw_call(endpoint, server.address, body)
        assert (kind, error["code"]) == (MessageType.ERROR, "unsupported")
        assert "this memory service ('memory') serves no journal" in error["error"]
        message = new_message(MessageType.CALL, b'{"op": "read"}')
        items = [i async for i in endpoint.request_stream(message, server.address, 5.0)]
        last = msgspec.json.decode(items[-1])
        assert (last["type"], last["code"]) == ("error", "unsupported")
    async with (
        FileJournal.opened(tmp_path / "j") as journal,
        serve_memory(journal=journal).running() as server,
        Endpoint.bind("127.0.0.1", 0) as endpoint,
    ):
        with pytest.raises(MemoryServiceError, match="serves no vector store"):
            await MxpVectorStore.connect(server.address, endpoint=endpoint)
    await served.aclose()


# -- the journal ---------------------------------------------------------------------------------


async def test_a_run_recorded_by_the_memory_agent_streams_to_another_agent(tmp_path) -> None:
    records = [
        MemoryRecord(
            MemoryChannel.TOOL if i % 2 else MemoryChannel.OUTPUT,
            {"step": i, "blob": bytes(range(256)) * 4},
            run_id="run-1" if i % 3 else "run-0",
            step=i,
        )
        for i in range(300)
    ]
    async with (
        FileJournal.opened(tmp_path / "journal") as served,
        serve_memory(journal=served).running() as server,
        Endpoint.bind("127.0.0.1", 0) as writer_endpoint,
        Endpoint.bind("127.0.0.1", 0) as reader_endpoint,
        MxpJournal(server.address, endpoint=writer_endpoint) as writer,
        MxpJournal(server.address, endpoint=reader_endpoint) as reader,
    ):
        assert writer.durability is served.durability
        offsets = [await writer.append(record) for record in records]
        assert offsets == list(range(300))
        # acknowledged means appended to the served journal
        assert [e.offset async for e in served.read(start=299)] == [299]
        before = server.endpoint.metrics().frames_out.get("STREAM_CHUNK", 0)
        replay = [entry async for entry in reader.read(run_id="run-1")]
        chunks = server.endpoint.metrics().frames_out.get("STREAM_CHUNK", 0) - before
    expected = [(i, r) for i, r in enumerate(records) if r.run_id == "run-1"]
    assert [(e.offset, e.record) for e in replay] == expected
    assert isinstance(replay[0].record.payload["blob"], bytes)
    assert chunks >= len(expected) * 1400 // 48_000  # about one frame per 48 KB batch


async def test_journal_damage_reaches_the_reader_after_the_entries_before_it(tmp_path) -> None:
    directory = tmp_path / "journal"
    async with FileJournal.opened(directory, durability="always") as served:
        for i in range(20):
            await served.append(MemoryRecord(MemoryChannel.INPUT, f"record {i:02} " + "x" * 200))
        segment = sorted(directory.glob("*.seg"))[0]
        data = bytearray(segment.read_bytes())
        at = data.find(b"record 10")
        data[at + 12] ^= 0xFF
        segment.write_bytes(bytes(data))
        async with (
            serve_memory(journal=served).running() as server,
            Endpoint.bind("127.0.0.1", 0) as endpoint,
            MxpJournal(server.address, endpoint=endpoint) as journal,
        ):
            seen: list[int] = []

            async def read_all() -> None:
                async for entry in journal.read():
                    seen.append(entry.offset)

            with pytest.raises(JournalCorrupted) as damaged:
                await read_all()
    assert seen == list(range(10))
    assert damaged.value.location.startswith(segment.name)


async def test_bad_targets_and_missing_registries_are_clear() -> None:
    with pytest.raises(InvalidRecord, match=r"target must be .* - at \$\.target"):
        MxpVectorStore("not a capability!")
    store = MxpVectorStore("memory.vectors")
    with pytest.raises(MemoryServiceError, match="no MXP endpoint"):
        await store.count()
    async with Endpoint.bind("127.0.0.1", 0) as endpoint:
        with pytest.raises(MemoryServiceError, match="through a registry"):
            await MxpVectorStore.connect("memory.vectors", endpoint=endpoint)
        async with RegistryServer.open("127.0.0.1", 0) as registry:
            with pytest.raises(MemoryServiceError, match="no memory service with capability"):
                await MxpJournal.connect(
                    "memory.journal",
                    endpoint=endpoint,
                    registry=format_address(*registry.address),
                )


# -- the wire ------------------------------------------------------------------------------------

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
_payloads = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.text(max_size=8)
    | st.binary(max_size=8)
    | st.floats(allow_nan=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
_names = st.text(min_size=1, max_size=6).filter(str.strip)


@settings(max_examples=150, deadline=None)
@given(payload=_payloads, tags=st.lists(_names, max_size=3), run=st.none() | _names)
def test_records_cross_the_wire_unchanged(payload, tags, run) -> None:
    record = MemoryRecord(MemoryChannel.TOOL, payload, tags=tuple(tags), run_id=run, step=3)
    assert decode_record(encode_record(record)) == record
    body = msgspec.json.encode(Append(record=encode_record(record)))
    call = parse_memory_call(body)
    assert isinstance(call, Append)
    assert decode_record(call.record) == record


@settings(max_examples=150, deadline=None)
@given(
    ids=st.lists(_names, min_size=1, max_size=4),
    vector=st.lists(
        st.floats(width=32, allow_nan=False, allow_infinity=False), min_size=1, max_size=6
    ),
    metadata=st.dictionaries(st.text(max_size=4), _json_values, max_size=3),
    compact=st.booleans(),
)
def test_upsert_bodies_parse_back_to_the_points(ids, vector, metadata, compact) -> None:
    points = [VectorPoint(i, vector, tags=("t",), metadata=metadata) for i in ids]
    encoded = encoded_points(points, len(vector), compact=compact)
    body = b'{"op":"upsert","points":[' + b",".join(encoded) + b"]}"
    call = parse_memory_call(body)
    assert isinstance(call, Upsert)
    decoded = unpacked_points(call.points, len(vector))
    assert [(p.id, list(p.vector), p.tags, p.metadata) for p in decoded] == [
        (p.id, vector, p.tags, p.metadata) for p in points
    ]


@given(body=st.binary(max_size=64))
def test_any_body_parses_or_is_refused_with_invalid_call_body(body) -> None:
    try:
        call = parse_memory_call(body)
    except InvalidCallBody as error:
        text = str(error)
    else:
        text = f"parsed: {call!r}"
    assert " - at $" in text or "JSON" in text or "serves memory" in text or "parsed" in text
