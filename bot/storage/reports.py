"""What reports count, read for one time range: events and handovers, never text, never who.

The figures themselves (bot/reports/figures.py) are sums over these rows: one query per table
and period keeps the SQL the same on SQLite and PostgreSQL, and a two-month period of a busy
year is tens of thousands of short rows.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Event, HandoverRecord, HandoverRequest, User
from bot.storage.statistics import BUCKET_KINDS


@dataclass(frozen=True)
class EventRow:
    at: datetime
    channel: str
    language: str | None
    intent: str | None
    route: str
    person: str | None
    """The person's hash in the bucket the report counts with; None for messages recorded before reports existed."""
    first_contact: bool
    in_hours: bool | None
    source: str | None


@dataclass(frozen=True)
class HandoverRow:
    created_at: datetime
    channel: str
    language: str | None
    reason: str
    in_hours: bool | None
    first_reply_at: datetime | None
    outcome: str | None


class ReportQueries:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def events(self, start: datetime, end: datetime, kind: str) -> list[EventRow]:
        """Events in [start, end), with the person's hash of bucket `kind` (month, period, quarter or year)."""
        assert kind in BUCKET_KINDS
        person = getattr(Event, f"person_{kind}")
        query = select(
            Event.at, Event.channel, Event.language, Event.intent, Event.route, person, Event.first_contact, Event.in_hours, Event.source
        ).where(Event.at >= start, Event.at < end)
        return [EventRow(*row) for row in await self.session.execute(query.order_by(Event.at))]

    async def handovers(self, start: datetime, end: datetime) -> list[HandoverRow]:
        """Handovers asked in [start, end): those of people still known, and the anonymous records of those who used /forget."""
        live = (
            select(
                HandoverRequest.created_at, User.channel, User.language, HandoverRequest.reason, HandoverRequest.in_hours,
                HandoverRequest.first_reply_at, HandoverRequest.outcome,
            )
            .join(User, User.id == HandoverRequest.user_id)
            .where(HandoverRequest.created_at >= start, HandoverRequest.created_at < end)
        )
        forgotten = select(
            HandoverRecord.created_at, HandoverRecord.channel, HandoverRecord.language, HandoverRecord.reason, HandoverRecord.in_hours,
            HandoverRecord.first_reply_at, HandoverRecord.outcome,
        ).where(HandoverRecord.created_at >= start, HandoverRecord.created_at < end)
        rows = [*await self.session.execute(live), *await self.session.execute(forgotten)]
        return sorted((HandoverRow(*row) for row in rows), key=lambda row: row.created_at)
