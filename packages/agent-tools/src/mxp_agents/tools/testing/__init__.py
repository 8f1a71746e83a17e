"""Test kit for code that runs tools (shipped, like ``trio.testing``).

Example:
    >>> from mxp_agents.tools.testing import RecordingAuditSink
    >>> sink = RecordingAuditSink()
    >>> sink.kinds()
    []
"""

from mxp_agents.tools.testing._recording import RecordingAuditSink

__all__ = ["RecordingAuditSink"]
