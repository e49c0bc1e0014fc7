"""The handover queue: people waiting for the team or in a staff member's hands, their messages, retention."""

from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.database import note_erasure, touched
from bot.storage.models import Announcement, HandoverMessage, HandoverRequest, HandoverStatus, OutboxMessage, OutboxStatus, User


class HandoverQueries:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def add_request(
        self, user: User, reason: str, priority: int, text: str | None, now: datetime, in_hours: bool | None = None
    ) -> HandoverRequest:
        """`in_hours`: asked during the permanence's hours (for reports); None without a schedule."""
        request = HandoverRequest(
            user_id=user.id, reason=reason, priority=priority, status=HandoverStatus.WAITING, text=text, created_at=now, in_hours=in_hours
        )
        self.session.add(request)
        await self.session.flush()
        return request

    async def open_of(self, user: User) -> list[HandoverRequest]:
        query = select(HandoverRequest).where(HandoverRequest.user_id == user.id, HandoverRequest.status != HandoverStatus.CLOSED)
        return list(await self.session.scalars(query.order_by(HandoverRequest.created_at)))

    async def ahead_of(self, request: HandoverRequest) -> int:
        """Waiting requests that the team will take before this one (higher priority, or older)."""
        ahead = or_(
            HandoverRequest.priority > request.priority,
            and_(HandoverRequest.priority == request.priority, HandoverRequest.id < request.id),
        )
        query = select(func.count()).select_from(HandoverRequest).where(HandoverRequest.status == HandoverStatus.WAITING, ahead)
        return int(await self.session.scalar(query) or 0)

    async def get(self, request_id: int) -> HandoverRequest | None:
        return await self.session.get(HandoverRequest, request_id)

    async def in_thread(self, thread_id: int) -> HandoverRequest | None:
        """The latest handover followed in a staff topic (a person who comes back gets a new one)."""
        query = select(HandoverRequest).where(HandoverRequest.staff_thread_id == thread_id)
        return await self.session.scalar(query.order_by(HandoverRequest.id.desc()).limit(1))

    async def claim(self, request: HandoverRequest, alias: str, now: datetime) -> bool:
        """waiting → active, for one staff member only."""
        return await self._move(request, HandoverRequest.status == HandoverStatus.WAITING, status=HandoverStatus.ACTIVE, staff_alias=alias, claimed_at=now)

    async def close(self, request: HandoverRequest, now: datetime, outcome: str | None = None) -> bool:
        """`outcome`: what came of it (handover/outcomes.py), for reports."""
        return await self._move(request, HandoverRequest.status != HandoverStatus.CLOSED, status=HandoverStatus.CLOSED, closed_at=now, outcome=outcome)

    async def release(self, request: HandoverRequest) -> bool:
        """active → waiting, in the place it had: the queue is ordered by priority, then by when the request came."""
        return await self._move(request, HandoverRequest.status == HandoverStatus.ACTIVE, status=HandoverStatus.WAITING, staff_alias=None, claimed_at=None)

    async def transfer(self, request: HandoverRequest, alias: str, now: datetime) -> bool:
        """Waiting or active → active in `alias`'s hands."""
        return await self._move(request, HandoverRequest.status != HandoverStatus.CLOSED, status=HandoverStatus.ACTIVE, staff_alias=alias, claimed_at=now)

    async def _move(self, request: HandoverRequest, allowed: ColumnElement[bool], **values: object) -> bool:
        """A conditional update, safe between processes: True for the one call that made the change."""
        result = await self.session.execute(
            update(HandoverRequest).where(HandoverRequest.id == request.id, allowed).values(**values).execution_options(synchronize_session=False)
        )
        await self.session.refresh(request)
        return touched(result) == 1

    async def open_all(self) -> list[HandoverRequest]:
        """Waiting and active handovers, in the order the team should take them."""
        query = select(HandoverRequest).where(HandoverRequest.status != HandoverStatus.CLOSED)
        return list(await self.session.scalars(query.order_by(HandoverRequest.priority.desc(), HandoverRequest.id)))

    async def add_message(
        self, request: HandoverRequest, author: str, text: str | None, now: datetime, staff_alias: str | None = None
    ) -> None:
        self.session.add(HandoverMessage(request_id=request.id, at=now, author=author, text=text, staff_alias=staff_alias))
        if author == "staff" and request.first_reply_at is None:
            # The wait reports measure; the messages themselves are erased after the retention period.
            request.first_reply_at = now

    async def last_messages(self, request: HandoverRequest, count: int) -> list[HandoverMessage]:
        query = select(HandoverMessage).where(HandoverMessage.request_id == request.id, HandoverMessage.author != "note")
        newest = list(await self.session.scalars(query.order_by(HandoverMessage.id.desc()).limit(count)))
        return newest[::-1]

    async def erase_closed_before(self, cutoff: datetime) -> int:
        """Retention: the text of handovers closed before `cutoff` goes; the bare record stays.

        The text goes wherever it is: the request, its messages, and what the outbox delivered
        or gave up for it (the person's words relayed to the staff topic, the staff's replies).
        What the outbox still has to deliver stays.
        """
        closed = select(HandoverRequest.id).where(HandoverRequest.status == HandoverStatus.CLOSED, HandoverRequest.closed_at < cutoff)
        messages = await self.session.execute(delete(HandoverMessage).where(HandoverMessage.request_id.in_(closed)))
        done = OutboxMessage.status.in_((OutboxStatus.SENT, OutboxStatus.FAILED))
        relayed = await self.session.execute(delete(OutboxMessage).where(OutboxMessage.request_id.in_(closed), done))
        result = await self.session.execute(
            update(HandoverRequest)
            .where(HandoverRequest.id.in_(closed), HandoverRequest.text.is_not(None))
            .values(text=None)
            .execution_options(synchronize_session=False)
        )
        if touched(messages) or touched(relayed) or touched(result):
            note_erasure(self.session)
        return touched(result)

    async def announce_once(self, kind: str, at: datetime) -> bool:
        """True for the first process to announce `kind` for `at`; False for every other."""
        try:
            async with self.session.begin_nested():
                self.session.add(Announcement(kind=kind, at=at))
        except IntegrityError:
            return False
        return True
