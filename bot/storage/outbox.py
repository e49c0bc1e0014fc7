"""The outbox: what is sent other than the immediate reply (staff replies, relays, notices), and the
replies to a message from the inbox until they are out (bot/inbox/replies.py)."""

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.database import touched
from bot.storage.models import ERASE_WHEN_DONE, HandoverRequest, OutboxMessage, OutboxStatus, User, table_of

_REPLIES = insert(table_of(OutboxMessage)).returning(table_of(OutboxMessage).c.id, sort_by_parameter_order=True)
DELETE_BY_IDS = delete(table_of(OutboxMessage)).where(table_of(OutboxMessage).c.id.in_(bindparam("ids", expanding=True)))
REPLIES_CLAIM = "replies:"
"""Starts the claim on the replies to a message from the inbox, followed by the owner number of the process
that handled it (bot/storage/presence.py), until that process has sent them."""


class OutboxQueries:
    def __init__(self, session: AsyncSession, owner: str):
        """`owner`: the process's name in the claims it makes (Storage.owner)."""
        self.session = session
        self.owner = owner

    async def enqueue(
        self,
        channel: str,
        address: str,
        body: dict,
        now: datetime,
        user: User | None = None,
        request: HandoverRequest | None = None,
        due_at: datetime | None = None,
    ) -> OutboxMessage:
        """`due_at`: not before then (a platform asked to wait); now by default."""
        message = OutboxMessage(
            user_id=user.id if user else None,
            request_id=request.id if request else None,
            channel=channel,
            address=address,
            body=body,
            status=OutboxStatus.QUEUED,
            attempts=0,
            due_at=due_at or now,
            created_at=now,
        )
        self.session.add(message)
        await self.session.flush()
        return message

    async def claim_due(self, worker: str, now: datetime, limit: int, lease: timedelta) -> list[OutboxMessage]:
        """Take up to `limit` due messages for this worker only.

        PostgreSQL skips rows another process has locked (FOR UPDATE SKIP LOCKED); SQLite drops
        that clause, so the conditional UPDATE below is what keeps two processes apart there.
        """
        free = or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)
        due = (
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.due_at <= now, free)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list(await self.session.scalars(due))
        if not ids:
            return []
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), free)
            .values(claimed_by=worker, claimed_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        query = select(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == worker)
        return list(await self.session.scalars(query.order_by(OutboxMessage.id).execution_options(populate_existing=True)))

    async def enqueue_replies(self, channel: str, address: str, bodies: list[dict], now: datetime, lease: timedelta) -> list[int]:
        """The replies to a message from the inbox, stored with it being marked handled (bot/inbox/replies.py).

        They are claimed for `lease`: the process that handled the message sends them at once,
        and deletes each as it goes out; if it dies first, the outbox sends what is left once the
        claim has run out. No user_id: the reply to /forget goes to a person erased a moment ago.
        """
        if not bodies:
            return []
        rows = [
            {
                "channel": channel, "address": address, "body": body, "status": OutboxStatus.QUEUED, "attempts": 0, "due_at": now,
                "claimed_by": REPLIES_CLAIM + self.owner, "claimed_until": now + lease, "created_at": now,
            }
            for body in bodies
        ]
        return list((await self.session.execute(_REPLIES, rows)).scalars())

    async def delete(self, message_ids: list[int]) -> None:
        """Replies sent (or that can never be): their text is not kept."""
        await self.session.execute(DELETE_BY_IDS, {"ids": message_ids})

    async def release(self, message_ids: list[int], due_at: datetime) -> None:
        """Replies the platform could not take now: the outbox sends them from `due_at`."""
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids))
            .values(claimed_by=None, claimed_until=None, due_at=due_at)
            .execution_options(synchronize_session=False)
        )

    async def leftover_replies(self, now: datetime, lease: timedelta, of: Collection[str]) -> list[tuple[int, str, str, dict]]:
        """Replies a killed process had stored and not sent, claimed by this process for `lease`; (id, channel, address,
        body), oldest first: those of the processes `of` (found dead, bot/storage/presence.py) and those whose
        claim has run out.
        """
        table = table_of(OutboxMessage)
        left = and_(
            table.c.claimed_by.startswith(REPLIES_CLAIM),
            table.c.status == OutboxStatus.QUEUED,
            or_(table.c.claimed_until < now, table.c.claimed_by.in_([REPLIES_CLAIM + owner for owner in of])),
        )
        result = await self.session.execute(
            update(table)
            .where(left)
            .values(claimed_by=REPLIES_CLAIM + self.owner, claimed_until=now + lease)
            .returning(table.c.id, table.c.channel, table.c.address, table.c.body)
        )
        return sorted((tuple(row) for row in result), key=lambda row: row[0])  # type: ignore[misc]

    async def settle_sent(self, message_ids: list[int], now: datetime) -> int:
        """Rows the sent journal names (bot/storage/journal.py): gone out before a crash, so done as if it had
        not happened: a reply deleted, any other row marked sent. Returns how many were still to settle."""
        rows = (await self.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == OutboxStatus.QUEUED))).all()
        for row in rows:
            if row.body.get(ERASE_WHEN_DONE):
                await self.session.delete(row)
                continue
            row.status, row.sent_at, row.claimed_by, row.claimed_until = OutboxStatus.SENT, now, None, None
        return len(rows)

    async def get(self, message_id: int) -> OutboxMessage | None:
        return await self.session.get(OutboxMessage, message_id)

    async def by_platform_id(self, channel: str, platform_message_id: str) -> OutboxMessage | None:
        query = select(OutboxMessage).where(
            OutboxMessage.channel == channel, OutboxMessage.platform_message_id == platform_message_id
        )
        return await self.session.scalar(query)

    async def held_for(self, user_id: int) -> int:
        query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.user_id == user_id, OutboxMessage.status == OutboxStatus.HELD)
        return int(await self.session.scalar(query) or 0)

    async def release_held(self, user: User, now: datetime) -> int:
        """The person wrote again: what was held for them goes out now."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.user_id == user.id, OutboxMessage.status == OutboxStatus.HELD)
            .values(status=OutboxStatus.QUEUED, due_at=now, claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        return touched(result)
