"""Type aliases of the transport API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeAlias

from mxp._message import Message

Address: TypeAlias = tuple[str, int]
"""A peer's ``(host, port)``; hosts are IP literals (``"127.0.0.1"``, ``"::1"``) or names."""

HandlerResult: TypeAlias = Message | AsyncIterator[bytes] | None
"""What a handler returns: a reply, nothing, or incremental result chunks."""

Handler: TypeAlias = Callable[[Message, Address], Awaitable[HandlerResult]]
"""``async def handler(message, peer) -> Message | None | AsyncIterator[bytes]``."""
