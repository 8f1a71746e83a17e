"""Benchmark of the file approval store: what one submit, decide and get cost.

Rows (µs per operation, medians; ratio against the baseline): a raw durable file replace of
the same bytes (write, fsync, rename, directory fsync: the floor any durable store pays);
`FileApprovalStore.submit` (lock, existence check, durable write, a worker-thread hop);
`decide` (lock, read, rules, durable write); `get` (a read and decode, no lock).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
import trio

from mxp_agents.policy import ApprovalRecord, ApprovalRequest, InvokeTool, fingerprint
from mxp_agents.policy._approvals import FileApprovalStore


def _request(index: int) -> ApprovalRequest:
    action = InvokeTool("pay", arguments={"amount": 100 + index, "to": "acme"})
    now = time.time()
    return ApprovalRequest(
        id=f"pay-{index}",
        agent_id="agent-1",
        action=action,
        fingerprint=fingerprint("agent-1", action),
        reason="payments over 100 need finance",
        approvers=("finance",),
        created=now,
        deadline=now + 3600,
    )


async def _store(directory: Path, n: int) -> tuple[float, float, float]:
    store = FileApprovalStore(directory)
    requests = [_request(i) for i in range(n)]
    start = time.perf_counter()
    for request in requests:
        await store.submit(request)
    submit = (time.perf_counter() - start) / n * 1e6
    start = time.perf_counter()
    for request in requests:
        await store.decide(request.id, approve=True, by="finance", fingerprint=request.fingerprint)
    decide = (time.perf_counter() - start) / n * 1e6
    start = time.perf_counter()
    for request in requests:
        await store.get(request.id)
    get = (time.perf_counter() - start) / n * 1e6
    return submit, decide, get


def _raw(directory: Path, n: int) -> float:
    directory.mkdir()
    data = msgspec.json.format(msgspec.json.encode(ApprovalRecord(request=_request(0))), indent=2)
    start = time.perf_counter()
    for index in range(n):
        temporary = directory / f".{index}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o660)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        os.replace(temporary, directory / f"{index}.json")
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        os.fsync(dir_fd)
        os.close(dir_fd)
    return (time.perf_counter() - start) / n * 1e6


def measure(*, quick: bool) -> dict[str, Any]:
    """Figures for `scripts/bench/policy.py` (see the module docstring)."""
    n = 50 if quick else 200
    repeat = 3 if quick else 5
    runs: dict[str, list[float]] = {}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            submit, decide, get = trio.run(_store, root / "store", n)
            runs.setdefault("submit", []).append(submit)
            runs.setdefault("decide", []).append(decide)
            runs.setdefault("get", []).append(get)
            runs.setdefault("raw", []).append(_raw(root / "raw", n))
    f = {key: statistics.median(values) for key, values in runs.items()}
    rows = [
        ["raw durable replace (baseline)", f["raw"], 1.0],
        ["FileApprovalStore.submit", f["submit"], f["submit"] / f["raw"]],
        ["FileApprovalStore.decide", f["decide"], f["decide"] / f["raw"]],
        ["FileApprovalStore.get", f["get"], f["get"] / f["raw"]],
    ]
    return {
        "title": "File approval store (µs per operation; ratio against a raw durable replace)",
        "header": ["operation", "µs/op", "ratio"],
        "rows": rows,
        "json": {f"{key}_us": value for key, value in f.items()},
        "goals": [
            (
                f"decide <= 3x a raw durable replace ({f['decide'] / f['raw']:.2f}x)",
                f["decide"] <= 3 * f["raw"],
            ),
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
