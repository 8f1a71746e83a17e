"""The errors of ``mxp_agents.memory``: one base, and a class per thing that can go wrong."""

from mxp_agents.primitives import InvalidValue, MxpAgentsError

__all__ = [
    "AgentMemoryError",
    "EmbeddingError",
    "GateBlocked",
    "InvalidRecord",
    "JournalClosed",
    "JournalCorrupted",
    "JournalError",
    "RingBufferError",
    "VectorStoreError",
]


class AgentMemoryError(MxpAgentsError):
    """Base class of the errors raised by ``mxp_agents.memory``.

    Example:
        >>> issubclass(JournalError, AgentMemoryError)
        True
    """


class InvalidRecord(AgentMemoryError, InvalidValue):
    """A record, point, query or option that breaks a rule; names the rule and the path.

    Example:
        >>> str(InvalidRecord("tag must not be blank", "$.tags[1]"))
        'tag must not be blank - at $.tags[1]'
    """


class RingBufferError(AgentMemoryError):
    """A record the ring buffer cannot hold (bigger than its whole byte budget).

    Example:
        >>> issubclass(RingBufferError, AgentMemoryError)
        True
    """


class JournalError(AgentMemoryError):
    """A journal operation failed (I/O, a backend error, a bad option).

    Example:
        >>> issubclass(JournalCorrupted, JournalError)
        True
    """


class JournalClosed(JournalError):
    """The journal was closed; nothing more can be appended or read.

    Example:
        >>> issubclass(JournalClosed, JournalError)
        True
    """


class JournalCorrupted(JournalError):
    """Damage inside the journal (not a torn tail): where it is and what is wrong.

    ``location`` names the segment (or table) and byte position (or row) of the first bad
    record; records before it read fine. The journal never skips damage silently.

    Example:
        >>> error = JournalCorrupted("checksum mismatch", "00000000000000000000.seg@4096")
        >>> error.location
        '00000000000000000000.seg@4096'
    """

    def __init__(self, reason: str, location: str) -> None:
        self.reason = reason
        self.location = location
        super().__init__(f"journal corrupted at {location}: {reason}")

    def __reduce__(self) -> tuple[type["JournalCorrupted"], tuple[str, str]]:
        return (type(self), (self.reason, self.location))


class VectorStoreError(AgentMemoryError):
    """A vector store operation failed: closed, a saved store that does not match or cannot be
    read, a save that failed (bad input, wrong dimensions included, is `InvalidRecord`).

    Example:
        >>> issubclass(VectorStoreError, AgentMemoryError)
        True
    """


class EmbeddingError(AgentMemoryError):
    """An embedder could not embed (model missing, bad input, the provider failed).

    Example:
        >>> issubclass(EmbeddingError, AgentMemoryError)
        True
    """


class GateBlocked(AgentMemoryError):
    """The boundary gate refused to let a record leave the agent.

    Example:
        >>> str(GateBlocked("record 1f… is tagged 'sensitive'", "embedder 'openai'"))
        "the boundary gate blocked sending to embedder 'openai': record 1f… is tagged 'sensitive'"
    """

    def __init__(self, reason: str, destination: str) -> None:
        self.reason = reason
        self.destination = destination
        super().__init__(f"the boundary gate blocked sending to {destination}: {reason}")

    def __reduce__(self) -> tuple[type["GateBlocked"], tuple[str, str]]:
        return (type(self), (self.reason, self.destination))
