"""A journal writer for the crash test: appends forever, prints each acknowledged record.

Usage: ``python _journal_writer.py DIRECTORY MODE TASKS``. Each of TASKS trio tasks appends
records of run ``t<task>``; only after ``append`` returned does it print ``<offset> <id>``
(flushed). The test kills this process with SIGKILL at varied moments.
"""

from __future__ import annotations

import sys

import trio

from mxp_agents.memory import Durability, FileJournal, MemoryChannel, MemoryRecord


async def main(directory: str, mode: str, tasks: int) -> None:
    journal = await FileJournal.open(directory, durability=Durability(mode), segment_bytes=8192)
    out = sys.stdout

    async def writer(task: int) -> None:
        n = 0
        while True:
            record = MemoryRecord(
                MemoryChannel.TOOL,
                {"task": task, "n": n, "text": "x" * (n % 200)},
                run_id=f"t{task}",
                step=n,
            )
            offset = await journal.append(record)
            out.write(f"{offset} {record.id}\n")
            out.flush()
            n += 1

    async with trio.open_nursery() as nursery:
        for task in range(tasks):
            nursery.start_soon(writer, task)


if __name__ == "__main__":
    trio.run(main, sys.argv[1], sys.argv[2], int(sys.argv[3]))
