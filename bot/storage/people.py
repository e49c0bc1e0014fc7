"""The people who write to the bot: found or created at each message, blocked, erased."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, Update, bindparam, delete, insert, literal, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.database import note_erasure
from bot.storage.models import HandoverMessage, HandoverRecord, HandoverRequest, HandoverStatus, OutboxMessage, OutboxStatus, UnansweredQuestion, User

_DIALECT_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_ORM_RETURNING = {"populate_existing": True, "synchronize_session": False}
"""The rows RETURNING gives back replace what the session holds of them."""


def _visit() -> Update:
    """A returning person's message: noted, with whether messages are held for them and their open handover.

    Built once (it runs for every message) and given its values at each execution.
    """
    # SQLAlchemy writes the columns of a RETURNING clause without their table on SQLite, in
    # subqueries too, where a bare "id" would be the subquery's own: the person's is spelt out.
    person: ColumnElement[int] = literal_column("users.id")
    held = select(OutboxMessage.id).where(OutboxMessage.user_id == person, OutboxMessage.status == OutboxStatus.HELD).exists()
    open_request = (
        select(HandoverRequest.id)
        .where(HandoverRequest.user_id == person, HandoverRequest.status != HandoverStatus.CLOSED)
        .order_by(HandoverRequest.created_at)
        .limit(1)
        .scalar_subquery()
    )
    return (
        update(User)
        .where(User.pseudonym == bindparam("visitor"))
        .values(last_seen=bindparam("seen_at"), address=bindparam("reply_to"))
        .returning(User, held, open_request)
    )


_VISIT = _visit()


@dataclass(frozen=True)
class Arrival:
    """A person's message as the database sees it, read in the round trip that notes it."""

    user: User
    is_new: bool
    has_held: bool = False
    """Messages are held for them (WhatsApp's window was closed): they go out now."""
    open_request_id: int | None = None
    """Their handover still waiting or in a staff member's hands, if any (the oldest)."""


class PeopleQueries:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, pseudonym: str) -> User | None:
        return await self.session.scalar(select(User).where(User.pseudonym == pseudonym))

    async def by_id(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def arrive(self, pseudonym: str, channel: str, address: str, now: datetime) -> Arrival:
        """The person behind a message, created on first contact.

        Runs for every message, so it takes one round trip for a person who wrote before: an
        UPDATE … RETURNING that notes the visit and says whether anything waits for them. A new
        person takes two, without savepoints.
        """
        seen = {"visitor": pseudonym, "seen_at": now, "reply_to": address}
        arrival = await self._visit(seen)
        if arrival is not None:
            return arrival
        values = {"pseudonym": pseudonym, "channel": channel, "address": address, "state": {}, "first_seen": now, "last_seen": now}
        created = self._insert(User).values(values).on_conflict_do_nothing().returning(User)
        user = await self.session.scalar(created, execution_options=_ORM_RETURNING)
        if user is not None:
            return Arrival(user, is_new=True)
        # Another process created the same person a moment ago.
        arrival = await self._visit(seen)
        assert arrival is not None
        return arrival

    async def _visit(self, seen: dict[str, Any]) -> Arrival | None:
        row = (await self.session.execute(_VISIT, seen, execution_options=_ORM_RETURNING)).first()
        return None if row is None else Arrival(row[0], is_new=False, has_held=bool(row[1]), open_request_id=row[2])

    def _insert(self, entity: Any) -> Any:
        """INSERT with ON CONFLICT, which both databases have under the same name."""
        return _DIALECT_INSERT[self.session.get_bind().dialect.name](entity)

    async def block(self, user: User, reason: str) -> None:
        user.blocked_reason = reason[:200] or "-"

    async def forget(self, user: User) -> None:
        """Erase the person and everything linked to them (statistics hold no link).

        Their handovers leave an anonymous record each, what reports count (when, why, the wait,
        the outcome) and nothing that says whose: a report made after /forget says what it said before.
        """
        await self.session.execute(delete(OutboxMessage).where(OutboxMessage.user_id == user.id))
        await self.session.execute(delete(UnansweredQuestion).where(UnansweredQuestion.user_id == user.id))
        records = select(
            HandoverRequest.created_at, literal(user.channel, String), literal(user.language, String), HandoverRequest.reason,
            HandoverRequest.in_hours, HandoverRequest.first_reply_at, HandoverRequest.outcome,
        ).where(HandoverRequest.user_id == user.id)
        kept = ("created_at", "channel", "language", "reason", "in_hours", "first_reply_at", "outcome")
        await self.session.execute(insert(HandoverRecord).from_select(kept, records))
        requests = select(HandoverRequest.id).where(HandoverRequest.user_id == user.id)
        await self.session.execute(delete(HandoverMessage).where(HandoverMessage.request_id.in_(requests)))
        await self.session.execute(delete(OutboxMessage).where(OutboxMessage.request_id.in_(requests)))
        await self.session.execute(delete(HandoverRequest).where(HandoverRequest.user_id == user.id))
        await self.session.execute(delete(User).where(User.id == user.id))
        note_erasure(self.session)
