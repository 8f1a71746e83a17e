"""`verify`: check a `HashChainLog` file and report every edited, removed, inserted, reordered
or malformed entry with its line number, and a torn last line (a crash) apart from tampering."""

from __future__ import annotations

import bisect
import enum
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from mxp_agents.policy._audit._chain_format import GENESIS, digest, parse_line
from mxp_agents.policy._errors import AuditError

if TYPE_CHECKING:
    import os

__all__ = ["ChainProblem", "ChainReport", "ProblemKind", "TornTail", "verify"]


class ProblemKind(enum.StrEnum):
    """What broke.

    Example:
        >>> ProblemKind("edited") is ProblemKind.EDITED
        True
    """

    EDITED = "edited"
    """The entry's hash does not match its content."""
    REMOVED = "removed"
    """Entries are missing before this line."""
    INSERTED = "inserted"
    """The line was never written by the chain (a duplicate seq, or a seq that fits nowhere)."""
    REORDERED = "reordered"
    """A genuine entry at the wrong place."""
    BROKEN_LINK = "broken link"
    """``prev`` does not match the entry before: that one was rewritten with a new hash."""
    MALFORMED = "malformed"
    """Not an entry line at all."""


class ChainProblem(msgspec.Struct, frozen=True):
    """One finding: the 1-based ``line``, its ``kind`` and ``detail``.

    Example:
        >>> str(ChainProblem(3, ProblemKind.EDITED, "hash mismatch"))
        'line 3: edited: hash mismatch'
    """

    line: int
    kind: ProblemKind
    detail: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.kind.value}: {self.detail}"


class TornTail(msgspec.Struct, frozen=True):
    """A last line without its newline: an append cut short by a crash (never acknowledged,
    cut off by the next open), not tampering.

    Example:
        >>> str(TornTail(7, 40))
        'line 7: torn: 40 bytes without a newline (an append interrupted by a crash)'
    """

    line: int
    size: int

    def __str__(self) -> str:
        return (
            f"line {self.line}: torn: {self.size} bytes without a newline "
            "(an append interrupted by a crash)"
        )


class ChainReport(msgspec.Struct, frozen=True):
    """The result of `verify`: ``entries`` (complete lines), ``problems`` in line order,
    ``torn`` and ``head`` (SHA-256 of the last complete line: compare it with a copy kept
    elsewhere to detect a cut or rewritten end, which no chain can show by itself).

    Example:
        >>> verify("audit.log").intact  # doctest: +SKIP
        True
    """

    path: str
    entries: int
    problems: tuple[ChainProblem, ...]
    torn: TornTail | None
    head: str

    @property
    def intact(self) -> bool:
        """True when no entry was tampered with (a torn tail alone is not tampering).

        Example:
            >>> report.intact  # doctest: +SKIP
            True
        """
        return not self.problems


class _Line(msgspec.Struct):
    number: int
    seq: int
    prev: str
    digest: str
    hash_ok: bool


def verify(path: str | os.PathLike[str]) -> ChainReport:
    """Read the log at ``path`` and report everything that breaks its chain. Blocking: from
    trio, ``await trio.to_thread.run_sync(verify, path)``.

    Example:
        >>> for problem in verify("audit.log").problems:  # doctest: +SKIP
        ...     print(problem)
        line 4: edited: its hash does not match its content
    """
    source = Path(path)
    problems: list[ChainProblem] = []
    lines: list[_Line] = []
    malformed: list[int] = []
    torn: TornTail | None = None
    head, number = GENESIS, 0
    try:
        with source.open("rb") as file:
            for number, raw in enumerate(file, start=1):
                if not raw.endswith(b"\n"):
                    torn = TornTail(number, len(raw))
                    break
                line = raw[:-1]
                parsed = parse_line(line)
                if parsed.entry is None:
                    problems.append(
                        ChainProblem(number, ProblemKind.MALFORMED, str(parsed.problem))
                    )
                    malformed.append(number)
                    continue
                head = digest(line)
                lines.append(
                    _Line(number, parsed.entry.seq, parsed.entry.prev, head, parsed.hash_ok)
                )
                if not parsed.hash_ok:
                    problems.append(
                        ChainProblem(
                            number, ProblemKind.EDITED, "its hash does not match its content"
                        )
                    )
    except OSError as error:
        raise AuditError(f"cannot read audit log {str(source)!r}: {error}") from None
    entries = len(lines) + len(malformed)
    problems.extend(_chain_problems(lines, malformed))
    problems.sort(key=lambda problem: problem.line)
    return ChainReport(str(source), entries, tuple(problems), torn, head)


def _chain_problems(lines: list[_Line], malformed: list[int]) -> list[ChainProblem]:
    by_seq: defaultdict[int, list[_Line]] = defaultdict(list)
    digests: defaultdict[str, list[_Line]] = defaultdict(list)
    for line in lines:
        by_seq[line.seq].append(line)
        digests[line.digest].append(line)

    def genuine(line: _Line) -> bool:  # its prev is the entry with seq - 1 (or the genesis)
        if line.seq == 0:
            return line.prev == GENESIS
        return any(other.seq == line.seq - 1 for other in digests.get(line.prev, ()))

    position = {id(line): index for index, line in enumerate(lines)}

    def in_place(line: _Line) -> bool:  # the line before it in the file is its prev
        index = position[id(line)]
        return line.prev == (lines[index - 1].digest if index else GENESIS)

    def followed(line: _Line) -> bool:  # the entry with seq + 1 names it as prev
        return any(other.prev == line.digest for other in by_seq.get(line.seq + 1, ()))

    problems: list[ChainProblem] = []
    unique: list[_Line] = []
    for line in lines:
        group = by_seq[line.seq]
        keeper = (
            group[0]
            if len(group) == 1
            else max(
                group,
                key=lambda item: (item.hash_ok, genuine(item), in_place(item), followed(item)),
            )
        )
        if line is keeper:
            unique.append(line)
        else:
            what = "a copy of" if line.digest == keeper.digest else "a second entry with the seq of"
            problems.append(
                ChainProblem(
                    line.number,
                    ProblemKind.INSERTED,
                    f"{what} line {keeper.number} (seq {line.seq})",
                )
            )
    kept = _longest_increasing(unique)
    moved = {line.seq for line in unique if id(line) not in kept}
    problems.extend(
        _misplaced(line, genuine(line), by_seq) for line in unique if id(line) not in kept
    )
    previous: _Line | None = None
    for line in (line for line in unique if id(line) in kept):
        expected = 0 if previous is None else previous.seq + 1
        after = 0 if previous is None else previous.number
        if line.seq > expected:
            missing = [seq for seq in range(expected, line.seq) if seq not in moved]
            damaged = sum(1 for number in malformed if after < number < line.number)
            if len(missing) > damaged:
                span = (
                    f"seq {missing[0]}" if len(missing) == 1 else f"seq {missing[0]}..{missing[-1]}"
                )
                problems.append(
                    ChainProblem(
                        line.number, ProblemKind.REMOVED, f"{span} missing before this line"
                    )
                )
        elif line.hash_ok and (previous is None or previous.hash_ok):
            wanted = GENESIS if previous is None else previous.digest
            if line.prev != wanted:
                problems.append(_broken(line, previous))
        previous = line
    return problems


def _misplaced(line: _Line, genuine: bool, by_seq: dict[int, list[_Line]]) -> ChainProblem:
    if not genuine:
        return ChainProblem(
            line.number,
            ProblemKind.INSERTED,
            f"seq {line.seq} does not fit here and its prev matches no entry "
            f"with seq {line.seq - 1}",
        )
    before = by_seq.get(line.seq - 1)
    where = "at the start" if not before else f"after line {before[0].number} (seq {line.seq - 1})"
    return ChainProblem(
        line.number, ProblemKind.REORDERED, f"seq {line.seq} is out of order: it belongs {where}"
    )


def _broken(line: _Line, previous: _Line | None) -> ChainProblem:
    if previous is None:
        detail = "the first entry's prev is not the genesis hash"
    else:
        detail = (
            f"prev does not match line {previous.number} (seq {previous.seq}): that entry was "
            "rewritten with a recomputed hash, or this entry's prev was"
        )
    return ChainProblem(line.number, ProblemKind.BROKEN_LINK, detail)


def _longest_increasing(lines: list[_Line]) -> set[int]:
    """ids of a longest run of ``lines`` (file order) with strictly increasing seq."""
    tails: list[int] = []  # seq at the end of the best run of each length
    ends: list[int] = []  # index into lines of that end
    parent: list[int] = []
    for index, line in enumerate(lines):
        at = bisect.bisect_left(tails, line.seq)
        parent.append(ends[at - 1] if at else -1)
        if at == len(tails):
            tails.append(line.seq)
            ends.append(index)
        else:
            tails[at], ends[at] = line.seq, index
    kept: set[int] = set()
    index = ends[-1] if ends else -1
    while index >= 0:
        kept.add(id(lines[index]))
        index = parent[index]
    return kept
