"""The inbox's queries (bot/inbox/): storing incoming updates, claiming them in order, finishing them.

Part of the repository (`Repository.inbox`): SQL lives in bot/storage and nowhere else. The
statements that run for every update are built once, at import, and given their values at each
execution: building one costs SQLAlchemy more than running it on SQLite.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Delete, Update, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.storage.database import touched
from bot.storage.models import InboxItem, InboxStatus, table_of

PENDING, DONE, DEAD = InboxStatus.PENDING, InboxStatus.DONE, InboxStatus.DEAD
_TABLE = table_of(InboxItem)
_FREE = or_(_TABLE.c.claimed_until.is_(None), _TABLE.c.claimed_until < bindparam("now"))


def _store(dialect_insert: Any) -> Any:
    return dialect_insert(_TABLE).on_conflict_do_nothing(index_elements=["channel", "delivery_id"]).returning(_TABLE.c.id)


def _claim(skip_locked: bool) -> Update:
    """The oldest pending row of each sender, due and free, oldest first: claimed in one UPDATE … RETURNING."""
    older = aliased(_TABLE)
    waits = exists().where(older.c.sender_key == _TABLE.c.sender_key, older.c.status == PENDING, older.c.id < _TABLE.c.id)
    due = (
        select(_TABLE.c.id)
        .where(_TABLE.c.status == PENDING, _TABLE.c.channel.in_(bindparam("channels", expanding=True)), _TABLE.c.next_try_at <= bindparam("now"), _FREE, ~waits)
        .order_by(_TABLE.c.id)
        .limit(bindparam("limit"))
    )
    if skip_locked:
        due = due.with_for_update(skip_locked=True, of=_TABLE)
    return (
        update(_TABLE)
        .where(_TABLE.c.id.in_(due.scalar_subquery()), _TABLE.c.status == PENDING, _FREE)
        .values(claimed_by=bindparam("worker"), claimed_until=bindparam("until"))
        .returning(_TABLE.c.id, _TABLE.c.channel, _TABLE.c.delivery_id, _TABLE.c.payload, _TABLE.c.tries, _TABLE.c.sender_key)
    )


def _close() -> Update:
    """pending → done or dead; the payload and the sender go."""
    return (
        update(_TABLE)
        .where(_TABLE.c.id == bindparam("item"), _TABLE.c.status == PENDING)
        .values(status=bindparam("to"), error=bindparam("failure"), payload=None, sender_key=None, claimed_by=None, claimed_until=None, handled_at=bindparam("now"))
    )


_STORE = {"postgresql": _store(postgresql.insert), "sqlite": _store(sqlite.insert)}
_CLAIM = {"postgresql": _claim(skip_locked=True), "sqlite": _claim(skip_locked=False)}
_CLOSE = _close()
_FORGET: Delete = delete(_TABLE).where(_TABLE.c.status != PENDING, _TABLE.c.handled_at < bindparam("before"))


@dataclass(frozen=True)
class Claimed:
    """A row this process claimed, as its handler needs it (no ORM object: this runs for every update)."""

    id: int
    channel: str
    delivery_id: str
    payload: dict[str, Any] | None
    tries: int
    sender_key: str | None


class InboxQueries:
    def __init__(self, session: AsyncSession):
        self.session = session

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    async def store(self, items: Sequence[dict[str, Any]], now: datetime) -> list[int]:
        """Each item (channel, delivery_id, sender_key, payload) once: a repeated delivery is not stored again.

        Returns the ids of the new rows. One INSERT … ON CONFLICT DO NOTHING for the whole batch.
        """
        if not items:
            return []
        rows = [{**item, "status": PENDING, "tries": 0, "next_try_at": now, "received_at": now} for item in items]
        return list((await self.session.execute(_STORE[self._dialect], rows)).scalars())

    async def claim(self, worker: str, channels: Collection[str], now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
        """Up to `limit` rows due now for this worker only, each the oldest pending row of its sender, oldest first.

        A person's next message is not claimable while an older one is pending (in hand, or
        waiting to be tried again): one person's messages are handled in order, by whichever
        process. One statement: PostgreSQL skips the rows another process is claiming (FOR
        UPDATE SKIP LOCKED); SQLite drops that clause, and writes one transaction at a time.
        """
        values = {"channels": list(channels), "now": now, "limit": limit, "worker": worker, "until": now + lease}
        claimed = await self.session.execute(_CLAIM[self._dialect], values)
        return sorted((Claimed(*row) for row in claimed), key=lambda row: row.id)

    async def finish(self, item_id: int, now: datetime) -> bool:
        """pending → done, its payload and sender erased; False if it was done already (by another process).

        Run in the transaction that handles the row: on PostgreSQL a second process doing the
        same waits for the first one's commit, then finds it done.
        """
        return await self._close(item_id, DONE, now, None)

    async def set_aside(self, item_id: int, error: str, now: datetime) -> bool:
        """pending → dead: it cannot be read, or failed too often. Only the error's class stays."""
        return await self._close(item_id, DEAD, now, error)

    async def _close(self, item_id: int, status: str, now: datetime, error: str | None) -> bool:
        result = await self.session.execute(_CLOSE, {"item": item_id, "to": status, "now": now, "failure": error})
        return bool(touched(result))

    async def try_again(self, item_id: int, error: str, at: datetime, counted: bool) -> int | None:
        """The handling failed: the row waits until `at`, and its sender's later rows wait behind it.

        `counted`: the failure counts towards setting it aside (not when the database itself
        was unreachable). Returns the tries so far, None if the row is no longer pending.
        """
        tries = _TABLE.c.tries + 1 if counted else _TABLE.c.tries
        result = await self.session.execute(
            update(_TABLE)
            .where(_TABLE.c.id == item_id, _TABLE.c.status == PENDING)
            .values(tries=tries, error=error, next_try_at=at, claimed_by=None, claimed_until=None)
            .returning(_TABLE.c.tries)
        )
        return result.scalar()

    async def release(self, item_ids: Collection[int]) -> None:
        """Claimed rows given back untouched (the process is stopping)."""
        await self.session.execute(
            update(_TABLE).where(_TABLE.c.id.in_(item_ids), _TABLE.c.status == PENDING).values(claimed_by=None, claimed_until=None)
        )

    async def pending(self) -> int:
        """Rows not yet handled (the tests and the benchmark watch it)."""
        return int(await self.session.scalar(select(func.count()).select_from(_TABLE).where(_TABLE.c.status == PENDING)) or 0)

    async def forget_handled(self, before: datetime) -> int:
        """The bare rows of updates handled or set aside before `before`."""
        result = await self.session.execute(_FORGET, {"before": before})
        return touched(result)
