"""The PostgreSQL backend of the episodic journal (extra ``postgres``: psycopg 3)."""

from mxp_agents.memory._postgres._journal import PostgresJournal

__all__ = ["PostgresJournal"]
