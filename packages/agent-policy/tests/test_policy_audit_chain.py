"""The hash-chained audit log: appends, reopen, durability, and `verify` finding tampering."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
import trio
from hypothesis import given, settings
from hypothesis import strategies as st

from mxp_agents.policy import (
    AuditError,
    AuditEvent,
    InvokeTool,
    PolicyContext,
    PolicyDecision,
    PolicyRequest,
)
from mxp_agents.policy._audit import HashChainLog, ProblemKind, verify
from mxp_agents.policy._audit._chain_format import GENESIS, digest

if TYPE_CHECKING:
    from pathlib import Path

AGENT = "0190c3a0-0000-7000-8000-000000000001"


def event(index: int) -> AuditEvent:
    request = PolicyRequest(
        AGENT,
        InvokeTool("pay", arguments={"amount": index}),
        PolicyContext({"run_id": f"r{index}"}, ("prod",)),
    )
    decision = PolicyDecision.deny(f"no {index}") if index % 2 else PolicyDecision.allow()
    return AuditEvent.of(request, decision, timestamp=float(index))


async def write_log(path: Path, count: int) -> list[bytes]:
    ticks = iter(range(1000, 2000))
    async with HashChainLog(path, clock=lambda: float(next(ticks))) as log:
        for index in range(count):
            assert await log.append(event(index)) == index
    return (await trio.Path(path).read_bytes()).splitlines(keepends=True)


def problems(path: Path) -> list[tuple[int, ProblemKind]]:
    return [(problem.line, problem.kind) for problem in verify(path).problems]


async def test_entries_are_json_lines_chained_by_sha256(tmp_path: Path) -> None:
    lines = await write_log(tmp_path / "audit.log", 3)
    entries = [json.loads(line) for line in lines]
    assert [list(entry) for entry in entries] == [["seq", "timestamp", "event", "prev", "hash"]] * 3
    assert [entry["seq"] for entry in entries] == [0, 1, 2]
    assert [entry["timestamp"] for entry in entries] == [1000.0, 1001.0, 1002.0]
    assert entries[0]["prev"] == GENESIS
    assert entries[1]["prev"] == digest(lines[0].rstrip(b"\n"))
    assert entries[2]["prev"] == digest(lines[1].rstrip(b"\n"))
    assert entries[1]["event"]["decision"] == "deny"
    assert entries[1]["event"]["action"] == {
        "kind": "invoke_tool",
        "name": "pay",
        "version": None,
        "arguments": {"amount": 1},
    }
    report = verify(tmp_path / "audit.log")
    assert report.intact
    assert report.entries == 3
    assert report.torn is None
    assert report.head == digest(lines[2].rstrip(b"\n"))


async def test_reopen_continues_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    await write_log(path, 2)
    async with HashChainLog(path) as log:
        assert log.next_seq == 2
        await log.record(event(2))
        head = log.head
    lines = path.read_bytes().splitlines()
    assert json.loads(lines[2])["prev"] == digest(lines[1])
    assert verify(path).intact
    assert verify(path).head == head


async def test_concurrent_appends_share_fsyncs_and_stay_chained(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    async with HashChainLog(path) as log, trio.open_nursery() as nursery:
        for index in range(50):
            nursery.start_soon(log.record, event(index))
    report = verify(path)
    assert report.intact
    assert report.entries == 50


async def test_a_second_writer_is_refused(tmp_path: Path) -> None:
    async with HashChainLog(tmp_path / "audit.log"):
        with pytest.raises(AuditError, match="already open"):
            await HashChainLog(tmp_path / "audit.log").open()


async def test_append_needs_an_open_log(tmp_path: Path) -> None:
    with pytest.raises(AuditError, match="not open"):
        await HashChainLog(tmp_path / "audit.log").record(event(0))


async def test_torn_last_line_is_not_tampering_and_is_cut_on_reopen(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    lines = await write_log(path, 3)
    path.write_bytes(b"".join(lines) + lines[0][:25])  # a crash in the middle of an append
    report = verify(path)
    assert report.intact
    assert report.torn is not None
    assert (report.torn.line, report.torn.size) == (4, 25)
    assert "interrupted by a crash" in str(report.torn)
    async with HashChainLog(path) as log:
        assert log.recovered_torn_bytes == 25
        assert log.next_seq == 3
        await log.record(event(3))
    report = verify(path)
    assert report.intact
    assert report.torn is None
    assert report.entries == 4


async def test_a_damaged_last_entry_refuses_to_open(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    lines = await write_log(path, 2)
    path.write_bytes(lines[0] + lines[1].replace(b'"no 1"', b'"ok 1"'))
    with pytest.raises(AuditError, match=r"last entry is damaged.*audit verify"):
        await HashChainLog(path).open()


async def test_edit_is_detected_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    lines = await write_log(path, 6)
    lines[3] = lines[3].replace(b'"no 3"', b'"ok 3"')
    path.write_bytes(b"".join(lines))
    assert problems(path) == [(4, ProblemKind.EDITED)]


async def test_edit_with_a_recomputed_hash_breaks_the_next_link(tmp_path: Path) -> None:
    from mxp_agents.policy._audit._chain_format import encode_entry

    path = tmp_path / "audit.log"
    lines = await write_log(path, 5)
    forged = encode_entry(2, 1002.0, event(99), json.loads(lines[2])["prev"]) + b"\n"
    lines[2] = forged
    path.write_bytes(b"".join(lines))
    report = verify(path)
    assert [(p.line, p.kind) for p in report.problems] == [(4, ProblemKind.BROKEN_LINK)]
    assert "line 3 (seq 2)" in report.problems[0].detail


async def test_deleted_entries_are_reported_with_the_missing_seqs(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    lines = await write_log(path, 8)
    path.write_bytes(b"".join(lines[:2] + lines[4:]))
    report = verify(path)
    assert [(p.line, p.kind) for p in report.problems] == [(3, ProblemKind.REMOVED)]
    assert "seq 2..3 missing" in report.problems[0].detail
    path.write_bytes(b"".join(lines[1:]))
    assert problems(path) == [(1, ProblemKind.REMOVED)]


async def test_swapped_lines_are_reported_as_reordered(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    lines = await write_log(path, 6)
    lines[2], lines[3] = lines[3], lines[2]
    path.write_bytes(b"".join(lines))
    report = verify(path)
    assert [str(problem) for problem in report.problems] == [
        "line 3: reordered: seq 3 is out of order: it belongs after line 4 (seq 2)"
    ]


async def test_moved_far_reports_only_the_moved_entry(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    lines = await write_log(path, 7)
    moved = lines.pop(1)
    path.write_bytes(b"".join([*lines, moved]))
    assert problems(path) == [(7, ProblemKind.REORDERED)]


async def test_inserted_lines_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    lines = await write_log(path, 5)
    copy = [*lines[:3], lines[1], *lines[3:]]  # a replayed entry
    path.write_bytes(b"".join(copy))
    report = verify(path)
    assert [(p.line, p.kind) for p in report.problems] == [(4, ProblemKind.INSERTED)]
    assert "a copy of line 2 (seq 1)" in report.problems[0].detail
    from mxp_agents.policy._audit._chain_format import encode_entry

    fake = encode_entry(77, 1.0, event(77), GENESIS) + b"\n"
    path.write_bytes(b"".join([*lines[:2], fake, *lines[2:]]))
    assert problems(path) == [(3, ProblemKind.INSERTED)]
    fake_same_seq = encode_entry(2, 1.0, event(50), digest(lines[1].rstrip(b"\n"))) + b"\n"
    path.write_bytes(b"".join([*lines[:3], fake_same_seq, *lines[3:]]))
    assert problems(path) == [(4, ProblemKind.INSERTED)]


async def test_garbage_line_is_malformed_not_removed(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    lines = await write_log(path, 4)
    lines[1] = b"not json at all\n"
    path.write_bytes(b"".join(lines))
    report = verify(path)
    assert [(p.line, p.kind) for p in report.problems] == [(2, ProblemKind.MALFORMED)]
    assert str(report.problems[0]).startswith("line 2: malformed: not a JSON entry line")


async def test_empty_log_is_intact(tmp_path: Path) -> None:
    (tmp_path / "audit.log").write_bytes(b"")
    report = verify(tmp_path / "audit.log")
    assert report.intact
    assert report.entries == 0
    assert report.head == GENESIS


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AuditError, match=r"cannot read audit log .*nope\.log"):
        verify(tmp_path / "nope.log")


def chain_lines(count: int) -> list[bytes]:
    from mxp_agents.policy._audit._chain_format import encode_entry

    lines: list[bytes] = []
    prev = GENESIS
    for index in range(count):
        line = encode_entry(index, float(index), event(index), prev)
        lines.append(line + b"\n")
        prev = digest(line)
    return lines


LINES = chain_lines(12)


@given(
    operation=st.sampled_from(["edit", "delete", "swap", "copy"]),
    at=st.integers(min_value=0, max_value=10),
    source=st.integers(min_value=0, max_value=11),
)
@settings(max_examples=150, deadline=None)
def test_any_single_tampering_is_found_near_its_line(
    tmp_path_factory: pytest.TempPathFactory, operation: str, at: int, source: int
) -> None:
    lines = list(LINES)
    if operation == "edit":
        lines[at] = lines[at].replace(b'"timestamp":', b'"timestamp":1', 1)
    elif operation == "delete":
        del lines[at]
    elif operation == "swap":
        lines[at], lines[at + 1] = lines[at + 1], lines[at]
    else:
        lines.insert(at, LINES[source])
    path = tmp_path_factory.mktemp("prop") / "audit.log"
    path.write_bytes(b"".join(lines))
    report = verify(path)
    assert not report.intact, operation
    assert report.torn is None
    assert all(at + 1 <= problem.line <= at + 2 for problem in report.problems), report.problems
