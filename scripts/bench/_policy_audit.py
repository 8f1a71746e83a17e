"""Benchmark of the audit trail: the hash-chained log, `verify`, the MXP body and the outbox.

Rows (µs per event, medians; ratio against the baseline of the same group):
- log appends: a raw ``os.write`` of a pre-encoded line (baseline); `HashChainLog` with
  ``sync=False`` (encode, SHA-256, page-cache write); ``sync=True`` with one writer (one
  ``fdatasync`` per append, on a worker thread); ``sync=True`` with 16 concurrent writers
  (group commit: one ``fdatasync`` per batch); raw ``os.write`` + ``fdatasync`` per line.
- `verify` per entry, against hashing the same lines with ``hashlib.sha256`` (baseline).
- `mxp_audit_body` against ``json.dumps(sort_keys=True, separators=(",", ":"))`` (baseline).
- `Outbox.put` (durable) and `Outbox.deliver` (a no-op send; one synced ack per item).
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import trio

from mxp_agents.policy import AuditEvent, InvokeTool, PolicyContext, PolicyDecision, PolicyRequest
from mxp_agents.policy._audit import HashChainLog, Outbox, mxp_audit_body, verify

AGENT = "0190c3a0-0000-7000-8000-000000000001"
WRITERS = 16


def _event(index: int) -> AuditEvent:
    request = PolicyRequest(
        AGENT,
        InvokeTool("pay", arguments={"amount": index, "to": "acme"}),
        PolicyContext({"run_id": f"r-{index}", "caller": "ui"}, ("prod",)),
    )
    return AuditEvent.of(request, PolicyDecision.deny("over the limit"), timestamp=1.7e9)


async def _log(path: Path, n: int, *, sync: bool, writers: int) -> float:
    events = [_event(i) for i in range(n)]
    async with HashChainLog(path, sync=sync) as log:
        start = time.perf_counter()
        if writers == 1:
            for event in events:
                await log.record(event)
        else:

            async def write(part: list[AuditEvent]) -> None:
                for event in part:
                    await log.record(event)

            async with trio.open_nursery() as nursery:
                for w in range(writers):
                    nursery.start_soon(write, events[w::writers])
        return (time.perf_counter() - start) / n * 1e6


def _raw(path: Path, lines: list[bytes], *, sync: bool) -> float:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        start = time.perf_counter()
        for line in lines:
            os.write(fd, line)
            if sync:
                os.fdatasync(fd)
        return (time.perf_counter() - start) / len(lines) * 1e6
    finally:
        os.close(fd)


async def _outbox(directory: Path, n: int) -> tuple[float, float]:
    body = mxp_audit_body(_event(0))
    async with Outbox(directory) as outbox:
        start = time.perf_counter()
        for _ in range(n):
            await outbox.put(body)
        put = (time.perf_counter() - start) / n * 1e6

        async def send(item: bytes) -> None:
            return None

        start = time.perf_counter()
        await outbox.deliver(send, until_empty=True)
        return put, (time.perf_counter() - start) / n * 1e6


def _per_call(fn: Any, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def measure(*, quick: bool) -> dict[str, Any]:
    """Figures for `scripts/bench/policy.py` (see the module docstring)."""
    n_sync = 100 if quick else 400
    n_fast = 2_000 if quick else 20_000
    repeat = 3 if quick else 5
    runs: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        runs.setdefault(key, []).append(value)

    event = _event(1)
    body = {
        "agent_id": event.agent_id,
        "approvers": [],
        "decision": "Deny",
        "metadata": event.metadata,
        "reason": event.reason,
        "subject": event.subject,
    }
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            add("log_nosync", trio.run(lambda: _log(root / "a", n_fast, sync=False, writers=1)))
            add("log_sync1", trio.run(lambda: _log(root / "b", n_sync, sync=True, writers=1)))
            add(
                "log_group",
                trio.run(lambda: _log(root / "c", n_sync * 4, sync=True, writers=WRITERS)),
            )
            lines = (root / "a").read_bytes().splitlines(keepends=True)
            add("raw_write", _raw(root / "d", lines, sync=False))
            add("raw_fsync", _raw(root / "e", lines[:n_sync], sync=True))
            start = time.perf_counter()
            report = verify(root / "a")
            add("verify", (time.perf_counter() - start) / report.entries * 1e6)
            start = time.perf_counter()
            for line in lines:
                hashlib.sha256(line).hexdigest()
            add("sha256", (time.perf_counter() - start) / len(lines) * 1e6)
            put, deliver = trio.run(_outbox, root / "box", n_sync)
            add("outbox_put", put)
            add("outbox_deliver", deliver)
        add("body", _per_call(lambda: mxp_audit_body(event), n_fast))
        add(
            "json",
            _per_call(lambda: json.dumps(body, sort_keys=True, separators=(",", ":")), n_fast),
        )
    f = {key: statistics.median(values) for key, values in runs.items()}
    rows = [
        ["log: raw os.write (baseline)", f["raw_write"], 1.0],
        ["log: HashChainLog sync=False", f["log_nosync"], f["log_nosync"] / f["raw_write"]],
        ["log: raw write + fdatasync", f["raw_fsync"], f["raw_fsync"] / f["raw_write"]],
        ["log: HashChainLog sync=True, 1 writer", f["log_sync1"], f["log_sync1"] / f["raw_write"]],
        [
            f"log: HashChainLog sync=True, {WRITERS} writers",
            f["log_group"],
            f["log_group"] / f["raw_write"],
        ],
        ["verify: sha256 per line (baseline)", f["sha256"], 1.0],
        ["verify: per entry", f["verify"], f["verify"] / f["sha256"]],
        ["body: json.dumps sorted (baseline)", f["json"], 1.0],
        ["body: mxp_audit_body", f["body"], f["body"] / f["json"]],
        ["outbox: put (durable)", f["outbox_put"], f["outbox_put"] / f["raw_fsync"]],
        ["outbox: deliver, no-op send", f["outbox_deliver"], f["outbox_deliver"] / f["raw_fsync"]],
    ]
    speedup = f["log_sync1"] / f["log_group"]
    return {
        "title": "Audit trail (µs per event; outbox ratios against raw write + fdatasync)",
        "header": ["operation", "µs/event", "ratio"],
        "rows": rows,
        "json": {**{f"{key}_us": value for key, value in f.items()}, "group_speedup": speedup},
        "goals": [
            (
                f"group commit with {WRITERS} writers >= 2x one writer ({speedup:.1f}x)",
                speedup >= 2,
            ),
            (f"verify >= 50k entries/s ({1e6 / f['verify']:,.0f}/s)", f["verify"] <= 20.0),
        ],
    }


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import print_table

    result = measure(quick="--quick" in sys.argv)
    print_table(result["title"], result["header"], result["rows"])
    for goal, ok in result["goals"]:
        print(f"  {goal}: {'met' if ok else 'NOT met'}")
