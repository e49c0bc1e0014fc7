"""Every query the bot makes. SQL lives here and nowhere else."""

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.storage.database import sessions
from bot.storage.models import AppSecret, Event, HandoverRequest, SeenUpdate, User


class Repository:
    """The queries of one unit of work (one incoming message, usually)."""

    def __init__(self, session: AsyncSession):
        self.session = session

    async def user(self, pseudonym: str) -> User | None:
        return await self.session.scalar(select(User).where(User.pseudonym == pseudonym))

    async def user_for_message(self, pseudonym: str, channel: str, address: str, now: datetime) -> tuple[User, bool]:
        """The person behind a message, created on first contact; returns (user, is_new)."""
        user = await self.user(pseudonym)
        if user is not None:
            user.last_seen = now
            user.address = address
            return user, False
        user = User(pseudonym=pseudonym, channel=channel, address=address, state={}, first_seen=now, last_seen=now)
        try:
            async with self.session.begin_nested():
                self.session.add(user)
        except IntegrityError:
            # Another process created the same person a moment ago.
            existing = await self.user(pseudonym)
            assert existing is not None
            return existing, False
        return user, True

    async def record_event(self, at: datetime, channel: str, language: str | None, intent: str | None, route: str) -> None:
        self.session.add(Event(at=at, channel=channel, language=language, intent=intent, route=route))

    async def add_handover_request(self, user: User, reason: str, priority: int, text: str | None, now: datetime) -> HandoverRequest:
        request = HandoverRequest(user_id=user.id, reason=reason, priority=priority, status="waiting", text=text, created_at=now)
        self.session.add(request)
        await self.session.flush()
        return request

    async def open_handover_requests(self, user: User) -> list[HandoverRequest]:
        query = select(HandoverRequest).where(HandoverRequest.user_id == user.id, HandoverRequest.status != "closed")
        return list(await self.session.scalars(query.order_by(HandoverRequest.created_at)))

    async def requests_ahead_of(self, request: HandoverRequest) -> int:
        """Waiting requests that the team will take before this one (higher priority, or older)."""
        ahead = or_(
            HandoverRequest.priority > request.priority,
            and_(HandoverRequest.priority == request.priority, HandoverRequest.id < request.id),
        )
        query = select(func.count()).select_from(HandoverRequest).where(HandoverRequest.status == "waiting", ahead)
        return int(await self.session.scalar(query) or 0)

    async def forget(self, user: User) -> None:
        """Erase the person and everything linked to them (statistics hold no link)."""
        await self.session.execute(delete(HandoverRequest).where(HandoverRequest.user_id == user.id))
        await self.session.execute(delete(User).where(User.id == user.id))

    async def secret(self, name: str) -> str:
        """A secret the bot made for itself once and keeps; the same in every process."""
        existing = await self.session.get(AppSecret, name)
        if existing is not None:
            return existing.value
        try:
            async with self.session.begin_nested():
                self.session.add(AppSecret(name=name, value=secrets.token_urlsafe(32)))
        except IntegrityError:
            pass
        value = await self.session.scalar(select(AppSecret.value).where(AppSecret.name == name))
        assert value is not None
        return value

    async def first_delivery(self, channel: str, update_id: str, now: datetime) -> bool:
        """Note an incoming update; False if it was noted before, by this process or another."""
        try:
            async with self.session.begin_nested():
                self.session.add(SeenUpdate(channel=channel, update_id=update_id, seen_at=now))
        except IntegrityError:
            return False
        return True

    async def forget_seen_updates(self, before: datetime) -> int:
        result = await self.session.execute(delete(SeenUpdate).where(SeenUpdate.seen_at < before))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class Storage:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self._sessions = sessions(engine)

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Repository]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        async with self._sessions() as session, session.begin():
            yield Repository(session)

    async def close(self) -> None:
        await self.engine.dispose()
