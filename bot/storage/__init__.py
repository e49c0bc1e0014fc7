"""Storage: SQLAlchemy models, Alembic migrations and the repository of queries."""

from bot.storage.database import connect, open_connections, upgrade
from bot.storage.repository import Repository, Storage

__all__ = ["Repository", "Storage", "connect", "open_connections", "upgrade"]
