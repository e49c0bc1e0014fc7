"""The inbox's queries (bot/inbox/): storing incoming updates, claiming them in order, finishing them.

Part of the repository (`Repository.inbox`): SQL lives in bot/storage and nowhere else.
"""

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.storage.models import InboxItem

PENDING, DONE, DEAD = "pending", "done", "dead"
_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_OLDER = aliased(InboxItem)


class InboxQueries:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def store(self, items: Sequence[dict[str, Any]], now: datetime) -> int:
        """Each item (channel, delivery_id, sender_key, payload) once: a repeated delivery is not stored again.

        Returns how many were new. One INSERT … ON CONFLICT DO NOTHING for the whole batch.
        """
        if not items:
            return 0
        rows = [{**item, "status": PENDING, "tries": 0, "next_try_at": now, "received_at": now} for item in items]
        insert = _INSERT[self.session.get_bind().dialect.name](InboxItem.__table__)
        result = await self.session.execute(insert.values(rows).on_conflict_do_nothing(index_elements=["channel", "delivery_id"]))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def claim(self, worker: str, channels: Collection[str], now: datetime, limit: int, lease: timedelta) -> list[InboxItem]:
        """Up to `limit` rows due now for this worker only, each the oldest pending row of its sender.

        A person's next message is not claimable while an older one is pending (in hand, or
        waiting to be tried again): one person's messages are handled in order, by whichever
        process. PostgreSQL skips the rows another process is claiming (FOR UPDATE SKIP
        LOCKED); SQLite drops that clause, and the conditional UPDATE keeps two claims apart.
        """
        free = or_(InboxItem.claimed_until.is_(None), InboxItem.claimed_until < now)
        older = exists().where(_OLDER.sender_key == InboxItem.sender_key, _OLDER.status == PENDING, _OLDER.id < InboxItem.id)
        due = (
            select(InboxItem.id)
            .where(InboxItem.status == PENDING, InboxItem.channel.in_(channels), InboxItem.next_try_at <= now, free, ~older)
            .order_by(InboxItem.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True, of=InboxItem)
        ids = list(await self.session.scalars(due))
        if not ids:
            return []
        await self.session.execute(
            update(InboxItem)
            .where(InboxItem.id.in_(ids), InboxItem.status == PENDING, free)
            .values(claimed_by=worker, claimed_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        query = select(InboxItem).where(InboxItem.id.in_(ids), InboxItem.claimed_by == worker, InboxItem.status == PENDING)
        return list(await self.session.scalars(query.order_by(InboxItem.id).execution_options(populate_existing=True)))

    async def finish(self, item_id: int, now: datetime) -> bool:
        """pending → done, its payload and sender erased; False if it was done already (by another process).

        Run in the transaction that handles the row: on PostgreSQL a second process doing the
        same waits for the first one's commit, then finds it done.
        """
        return await self._close(item_id, DONE, now)

    async def set_aside(self, item_id: int, error: str, now: datetime) -> bool:
        """pending → dead: it cannot be read, or failed too often. Only the error's class stays."""
        return await self._close(item_id, DEAD, now, error=error)

    async def _close(self, item_id: int, status: str, now: datetime, **values: Any) -> bool:
        result = await self.session.execute(
            update(InboxItem)
            .where(InboxItem.id == item_id, InboxItem.status == PENDING)
            .values(status=status, payload=None, sender_key=None, claimed_by=None, claimed_until=None, handled_at=now, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def try_again(self, item_id: int, error: str, at: datetime, counted: bool) -> int | None:
        """The handling failed: the row waits until `at`, and its sender's later rows wait behind it.

        `counted`: the failure counts towards setting it aside (not when the database itself
        was unreachable). Returns the tries so far, None if the row is no longer pending.
        """
        tries = InboxItem.tries + 1 if counted else InboxItem.tries
        result = await self.session.execute(
            update(InboxItem)
            .where(InboxItem.id == item_id, InboxItem.status == PENDING)
            .values(tries=tries, error=error, next_try_at=at, claimed_by=None, claimed_until=None)
            .returning(InboxItem.tries)
        )
        return result.scalar()

    async def release(self, item_ids: Collection[int]) -> None:
        """Claimed rows given back untouched (the process is stopping)."""
        await self.session.execute(
            update(InboxItem)
            .where(InboxItem.id.in_(item_ids), InboxItem.status == PENDING)
            .values(claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )

    async def release_every_claim(self) -> int:
        """At start on SQLite, where one process runs: a claim still there is a killed process's."""
        result = await self.session.execute(
            update(InboxItem)
            .where(InboxItem.status == PENDING, InboxItem.claimed_until.is_not(None))
            .values(claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def pending(self) -> int:
        """Rows not yet handled (the tests and the benchmark watch it)."""
        return int(await self.session.scalar(select(func.count()).select_from(InboxItem).where(InboxItem.status == PENDING)) or 0)

    async def forget_handled(self, before: datetime) -> int:
        """The bare rows of updates handled or set aside before `before`."""
        result = await self.session.execute(delete(InboxItem).where(InboxItem.status != PENDING, InboxItem.handled_at < before))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
