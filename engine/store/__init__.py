"""The SQLite project store."""

from engine.store.database import Database, integrity_problem, translate_error
from engine.store.lock import ProjectLock
from engine.store.schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "Database", "ProjectLock", "integrity_problem", "translate_error"]
