"""Statistics: one row per message, with its channel, language, intent and route, and never its text."""

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Event, table_of

_EVENT = insert(table_of(Event))


class StatisticsQueries:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def record(self, at: datetime, channel: str, language: str | None, intent: str | None, route: str) -> None:
        """A plain INSERT, without the unit of work: it runs for every message."""
        await self.session.execute(_EVENT, {"at": at, "channel": channel, "language": language, "intent": intent, "route": route})
