"""The line format of the hash-chained audit log.

One JSON line per entry, keys in this order::

    {"seq":0,"timestamp":1718000000.5,"event":{...},"prev":"<64 hex>","hash":"<64 hex>"}

``hash`` is the SHA-256 of the line without its ``hash`` member (the exact bytes
``{"seq":...,"prev":"..."}``); ``prev`` is the SHA-256 of the whole previous line (without its
newline), `GENESIS` for the first entry. An edit changes the entry's own hash; removing,
inserting or moving an entry breaks the ``prev`` link of the entry after it.
"""

from __future__ import annotations

import hashlib
from typing import Final

import msgspec

from mxp_agents.policy._audit_api import AuditEvent
from mxp_agents.policy._errors import PolicyError

__all__ = ["GENESIS", "ChainEntry", "ParsedLine", "digest", "encode_entry", "parse_line"]

GENESIS: Final = "0" * 64
"""The ``prev`` of the first entry."""

_HASH_SIZE: Final = len(b',"hash":""}') + 64


class _Body(msgspec.Struct, frozen=True):
    seq: int
    timestamp: float
    event: msgspec.Raw
    prev: str


class ChainEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One entry of the log, as read back.

    Example:
        >>> parse_line(line).entry.seq  # doctest: +SKIP
        0
    """

    seq: int
    timestamp: float
    event: AuditEvent
    prev: str
    hash: str


class ParsedLine(msgspec.Struct, frozen=True):
    """A line of the log checked on its own: its entry (None when malformed, with ``problem``
    saying why) and whether its ``hash`` matches its content.

    Example:
        >>> parse_line(b"oops").problem
        'not a JSON entry line: ...'
    """

    entry: ChainEntry | None
    hash_ok: bool
    problem: str | None = None


_event_encoder: Final = msgspec.json.Encoder()
_entry_decoder: Final = msgspec.json.Decoder(ChainEntry)


def digest(line: bytes) -> str:
    """SHA-256 hex of ``line`` (without its newline): the next entry's ``prev``.

    Example:
        >>> digest(b"")[:8]
        'e3b0c442'
    """
    return hashlib.sha256(line).hexdigest()


def encode_entry(seq: int, timestamp: float, event: AuditEvent, prev: str) -> bytes:
    """The line (without newline) of entry ``seq``.

    Example:
        >>> encode_entry(0, 1.0, event, GENESIS).startswith(b'{"seq":0,')  # doctest: +SKIP
        True
    """
    body = msgspec.json.encode(
        _Body(seq, timestamp, msgspec.Raw(_event_encoder.encode(event)), prev)
    )
    return body[:-1] + b',"hash":"' + digest(body).encode() + b'"}'


def parse_line(line: bytes) -> ParsedLine:
    """Decode ``line`` and check its own hash (not its link to the line before).

    Example:
        >>> parse_line(encode_entry(0, 1.0, event, GENESIS)).hash_ok  # doctest: +SKIP
        True
    """
    try:
        entry = _entry_decoder.decode(line)
    except (msgspec.DecodeError, ValueError, TypeError, PolicyError) as error:
        return ParsedLine(None, False, f"not a JSON entry line: {error}")
    if entry.seq < 0:
        return ParsedLine(None, False, f"seq must be >= 0, got {entry.seq}")
    member = line[-_HASH_SIZE:]
    if not (member.startswith(b',"hash":"') and member.endswith(b'"}')):
        return ParsedLine(None, False, 'the line does not end with a "hash" member')
    body = line[:-_HASH_SIZE] + b"}"
    return ParsedLine(entry, digest(body) == entry.hash)
