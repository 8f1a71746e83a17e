"""The file journal: `FileJournal`, its `RecoveryReport` and `JournalStats`."""

from mxp_agents.memory._file._journal import FileJournal, JournalStats
from mxp_agents.memory._file._recovery import RecoveryReport

__all__ = ["FileJournal", "JournalStats", "RecoveryReport"]
