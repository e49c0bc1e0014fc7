"""Every query the bot makes. SQL lives here and nowhere else."""

import asyncio
import logging
import math
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, String, Update, and_, bindparam, case, delete, func, insert, literal_column, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.storage.database import RETRY_FOR, error_name, retry_after, sessions, touched, transient
from bot.storage.inbox_queries import InboxQueries
from bot.storage.journal import SentJournal
from bot.storage.models import (
    ERASE_WHEN_DONE,
    Announcement,
    AppSecret,
    Event,
    HandoverMessage,
    HandoverRequest,
    InboxItem,
    OutboxMessage,
    SeenUpdate,
    User,
    table_of,
)
from bot.storage.presence import LIVE_OWNERS, NAMESPACE, Presence
from bot.storage.sqlite import truncate_wal

log = logging.getLogger(__name__)
T = TypeVar("T")


def _visit() -> Update:
    """A returning person's message: noted, with whether messages are held for them and their open handover.

    Built once (it runs for every message) and given its values at each execution.
    """
    # SQLAlchemy writes the columns of a RETURNING clause without their table on SQLite, in
    # subqueries too, where a bare "id" would be the subquery's own: the person's is spelt out.
    person: ColumnElement[int] = literal_column("users.id")
    held = select(OutboxMessage.id).where(OutboxMessage.user_id == person, OutboxMessage.status == "held").exists()
    open_request = (
        select(HandoverRequest.id)
        .where(HandoverRequest.user_id == person, HandoverRequest.status != "closed")
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


_DIALECT_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_VISIT = _visit()
_ORM_RETURNING = {"populate_existing": True, "synchronize_session": False}
"""The rows RETURNING gives back replace what the session holds of them."""
_EVENT = insert(table_of(Event))
_FIRST_DELIVERY = {
    "postgresql": postgresql.insert(table_of(SeenUpdate)).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(table_of(SeenUpdate)).on_conflict_do_nothing(),
}
_REPLIES = insert(table_of(OutboxMessage)).returning(table_of(OutboxMessage).c.id, sort_by_parameter_order=True)
_DELETE_OUTBOX = delete(table_of(OutboxMessage)).where(table_of(OutboxMessage).c.id.in_(bindparam("ids", expanding=True)))
REPLIES_CLAIM = "replies:"
"""Starts the claim on the replies to a message from the inbox, followed by the owner number of the process
that handled it (bot/storage/presence.py), until that process has sent them."""
SENT_DELETED_AFTER = 0.05
"""Seconds a sent reply stays in the outbox, to be deleted with the others sent meanwhile: one transaction for many."""
_ERASED = "erased"
"""Noted in a session's `info` by a unit of work that erased personal data: Storage.unit runs
Storage.after_erasure once it is committed."""


@dataclass(frozen=True)
class Arrival:
    """A person's message as the database sees it, read in the round trip that notes it."""

    user: User
    is_new: bool
    has_held: bool = False
    """Messages are held for them (WhatsApp's window was closed): they go out now."""
    open_request_id: int | None = None
    """Their handover still waiting or in a staff member's hands, if any (the oldest)."""


class Repository:
    """The queries of one unit of work (one incoming message, usually)."""

    def __init__(self, session: AsyncSession, owner: str):
        """`owner`: the process's name in the claims it makes (Storage.owner)."""
        self.session = session
        self.owner = owner
        self.inbox = InboxQueries(session)
        """Incoming updates, stored before they are acknowledged (bot/inbox/)."""

    async def user(self, pseudonym: str) -> User | None:
        return await self.session.scalar(select(User).where(User.pseudonym == pseudonym))

    async def user_by_id(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def user_for_message(self, pseudonym: str, channel: str, address: str, now: datetime) -> Arrival:
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

    async def record_event(self, at: datetime, channel: str, language: str | None, intent: str | None, route: str) -> None:
        """A plain INSERT, without the unit of work: it runs for every message."""
        await self.session.execute(_EVENT, {"at": at, "channel": channel, "language": language, "intent": intent, "route": route})

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

    # --- The handover queue --------------------------------------------------------------------

    async def request(self, request_id: int) -> HandoverRequest | None:
        return await self.session.get(HandoverRequest, request_id)

    async def request_in_thread(self, thread_id: int) -> HandoverRequest | None:
        """The latest handover followed in a staff topic (a person who comes back gets a new one)."""
        query = select(HandoverRequest).where(HandoverRequest.staff_thread_id == thread_id)
        return await self.session.scalar(query.order_by(HandoverRequest.id.desc()).limit(1))

    async def claim_request(self, request: HandoverRequest, alias: str, now: datetime) -> bool:
        """waiting → active, for one staff member only: a conditional update, safe between processes."""
        result = await self.session.execute(
            update(HandoverRequest)
            .where(HandoverRequest.id == request.id, HandoverRequest.status == "waiting")
            .values(status="active", staff_alias=alias, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        await self.session.refresh(request)
        return touched(result) == 1

    async def close_request(self, request: HandoverRequest, now: datetime) -> bool:
        result = await self.session.execute(
            update(HandoverRequest)
            .where(HandoverRequest.id == request.id, HandoverRequest.status != "closed")
            .values(status="closed", closed_at=now)
            .execution_options(synchronize_session=False)
        )
        await self.session.refresh(request)
        return touched(result) == 1

    async def open_requests(self) -> list[HandoverRequest]:
        """Waiting and active handovers, in the order the team should take them."""
        query = select(HandoverRequest).where(HandoverRequest.status != "closed")
        return list(await self.session.scalars(query.order_by(HandoverRequest.priority.desc(), HandoverRequest.id)))

    async def add_handover_message(
        self, request: HandoverRequest, author: str, text: str | None, now: datetime, staff_alias: str | None = None
    ) -> None:
        self.session.add(HandoverMessage(request_id=request.id, at=now, author=author, text=text, staff_alias=staff_alias))

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
        closed = select(HandoverRequest.id).where(HandoverRequest.status == "closed", HandoverRequest.closed_at < cutoff)
        messages = await self.session.execute(delete(HandoverMessage).where(HandoverMessage.request_id.in_(closed)))
        done = OutboxMessage.status.in_(("sent", "failed"))
        relayed = await self.session.execute(delete(OutboxMessage).where(OutboxMessage.request_id.in_(closed), done))
        result = await self.session.execute(
            update(HandoverRequest)
            .where(HandoverRequest.id.in_(closed), HandoverRequest.text.is_not(None))
            .values(text=None)
            .execution_options(synchronize_session=False)
        )
        if touched(messages) or touched(relayed) or touched(result):
            self._erased()
        return touched(result)

    async def block(self, user: User, reason: str) -> None:
        user.blocked_reason = reason[:200] or "-"

    async def announce_once(self, kind: str, at: datetime) -> bool:
        """True for the first process to announce `kind` for `at`; False for every other."""
        try:
            async with self.session.begin_nested():
                self.session.add(Announcement(kind=kind, at=at))
        except IntegrityError:
            return False
        return True

    # --- The outbox ------------------------------------------------------------------------------

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
            status="queued",
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
            .where(OutboxMessage.status == "queued", OutboxMessage.due_at <= now, free)
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
                "channel": channel, "address": address, "body": body, "status": "queued", "attempts": 0, "due_at": now,
                "claimed_by": REPLIES_CLAIM + self.owner, "claimed_until": now + lease, "created_at": now,
            }
            for body in bodies
        ]
        return list((await self.session.execute(_REPLIES, rows)).scalars())

    async def delete_outbox(self, message_ids: list[int]) -> None:
        """Replies sent (or that can never be): their text is not kept."""
        await self.session.execute(_DELETE_OUTBOX, {"ids": message_ids})

    async def release_outbox(self, message_ids: list[int], due_at: datetime) -> None:
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
            table.c.status == "queued",
            or_(table.c.claimed_until < now, table.c.claimed_by.in_([REPLIES_CLAIM + owner for owner in of])),
        )
        result = await self.session.execute(
            update(table)
            .where(left)
            .values(claimed_by=REPLIES_CLAIM + self.owner, claimed_until=now + lease)
            .returning(table.c.id, table.c.channel, table.c.address, table.c.body)
        )
        return sorted((tuple(row) for row in result), key=lambda row: row[0])  # type: ignore[misc]

    async def absent_owners(self) -> tuple[set[str], float]:
        """The processes that made claims still standing (inbox, outbox, replies) and hold no lock, and the seconds
        the server has been running.

        This process's own claims are never among them, even while it takes its lock again. SQLite has one bot
        process and no locks: every other owner is a previous run's, killed, absent for ever.
        """
        inbox, outbox = table_of(InboxItem), table_of(OutboxMessage)
        reply_owner = func.substr(outbox.c.claimed_by, len(REPLIES_CLAIM) + 1)
        owners = select(inbox.c.claimed_by.label("owner")).where(inbox.c.status == "pending", inbox.c.claimed_by.is_not(None)).union(
            select(case((outbox.c.claimed_by.startswith(REPLIES_CLAIM), reply_owner), else_=outbox.c.claimed_by))
            .where(outbox.c.status == "queued", outbox.c.claimed_by.is_not(None))
        ).subquery()
        query = select(owners.c.owner).where(owners.c.owner != self.owner)
        if self.session.get_bind().dialect.name != "postgresql":
            return set(await self.session.scalars(query)), math.inf
        live = LIVE_OWNERS.bindparams(namespace=NAMESPACE).columns(objid=String).subquery()
        query = query.where(owners.c.owner.not_in(select(live.c.objid)))
        up_for = await self.session.scalar(select(func.extract("epoch", func.now() - func.pg_postmaster_start_time())))
        return set(await self.session.scalars(query)), float(up_for or 0.0)

    async def release_claims_of(self, owners: Collection[str]) -> tuple[int, int]:
        """The inbox rows and outbox rows (not replies: `leftover_replies`) claimed by dead processes, free again."""
        inbox, outbox = table_of(InboxItem), table_of(OutboxMessage)
        released = [
            await self.session.execute(
                update(table).where(table.c.status == status, table.c.claimed_by.in_(list(owners))).values(claimed_by=None, claimed_until=None)
            )
            for table, status in ((inbox, "pending"), (outbox, "queued"))
        ]
        return touched(released[0]), touched(released[1])

    async def settle_sent(self, message_ids: list[int], now: datetime) -> int:
        """Rows the sent journal names (bot/storage/journal.py): gone out before a crash, so done as if it had
        not happened: a reply deleted, any other row marked sent. Returns how many were still to settle."""
        rows = (await self.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == "queued"))).all()
        for row in rows:
            if row.body.get(ERASE_WHEN_DONE):
                await self.session.delete(row)
                continue
            row.status, row.sent_at, row.claimed_by, row.claimed_until = "sent", now, None, None
        return len(rows)

    async def outbox_message(self, message_id: int) -> OutboxMessage | None:
        return await self.session.get(OutboxMessage, message_id)

    async def outbox_by_platform_id(self, channel: str, platform_message_id: str) -> OutboxMessage | None:
        query = select(OutboxMessage).where(
            OutboxMessage.channel == channel, OutboxMessage.platform_message_id == platform_message_id
        )
        return await self.session.scalar(query)

    async def held_for(self, user_id: int) -> int:
        query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.user_id == user_id, OutboxMessage.status == "held")
        return int(await self.session.scalar(query) or 0)

    async def release_held(self, user: User, now: datetime) -> int:
        """The person wrote again: what was held for them goes out now."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.user_id == user.id, OutboxMessage.status == "held")
            .values(status="queued", due_at=now, claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        return touched(result)

    async def forget(self, user: User) -> None:
        """Erase the person and everything linked to them (statistics hold no link)."""
        await self.session.execute(delete(OutboxMessage).where(OutboxMessage.user_id == user.id))
        requests = select(HandoverRequest.id).where(HandoverRequest.user_id == user.id)
        await self.session.execute(delete(HandoverMessage).where(HandoverMessage.request_id.in_(requests)))
        await self.session.execute(delete(OutboxMessage).where(OutboxMessage.request_id.in_(requests)))
        await self.session.execute(delete(HandoverRequest).where(HandoverRequest.user_id == user.id))
        await self.session.execute(delete(User).where(User.id == user.id))
        self._erased()

    def _erased(self) -> None:
        """Personal data went in this unit of work: once it is committed, nothing of it may stay on disk."""
        self.session.info[_ERASED] = True

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
        """Note an incoming update; False if it was noted before, by this process or another.

        One INSERT … ON CONFLICT DO NOTHING (both databases have it), with no savepoint and no
        ORM flush: it runs for every update the bot receives.
        """
        statement = _FIRST_DELIVERY[self.session.get_bind().dialect.name]
        result = await self.session.execute(statement, {"channel": channel, "update_id": update_id, "seen_at": now})
        return bool(touched(result))

    async def forget_seen_updates(self, before: datetime) -> int:
        result = await self.session.execute(delete(SeenUpdate).where(SeenUpdate.seen_at < before))
        return touched(result)


class Storage:
    def __init__(self, engine: AsyncEngine, retry_for: float = RETRY_FOR, journal: SentJournal | None = None):
        """`retry_for`: seconds `transaction` tries again while the database is unreachable (tests make it short).
        `journal`: where sent outbox rows are noted before the database knows (None: nowhere, for a database in memory)."""
        self.engine = engine
        self.retry_for = retry_for
        self.journal = journal or SentJournal(None)
        self.owner = str(secrets.randbelow(2**31 - 1) + 1)
        """This process's name in the claims it makes: a positive 32-bit number, for its lock (bot/storage/presence.py)."""
        self.presence = Presence(engine, self.owner)
        self._sessions = sessions(engine)
        self._sent: list[int] = []
        self._deleting: asyncio.Task | None = None

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Repository]:
        """One transaction: committed when the block ends, rolled back if it raises.

        A unit that erased personal data is followed by `after_erasure`, once committed and its
        connection given back.
        """
        async with self._sessions() as session:
            async with session.begin():
                yield Repository(session, self.owner)
            erased = session.info.pop(_ERASED, False)
        if erased:
            await self.after_erasure()

    async def transaction(self, work: Callable[[Repository], Awaitable[T]], retry_for: float | None = None) -> T:
        """`work` in one transaction, run again on a new connection while the database is unreachable.

        A restart of PostgreSQL closes the pool's connections and refuses new ones for a moment;
        SQLite can find another process's lock. The transaction was rolled back, so `work`
        (which must change nothing outside the database) can run again from nothing, with
        backoff, for up to `retry_for` seconds (RETRY_FOR by default). Only then is the error
        raised, for the caller to apologise. An error of the statements or the data, such as
        an IntegrityError, is raised at once.
        """

        async def run() -> T:
            async with self.unit() as repo:
                return await work(repo)

        return await self._retrying(run, retry_for)

    def forget_sent(self, outbox_ids: list[int]) -> None:
        """Replies that went out: in the sent journal at once, deleted from the outbox a moment later, with the others
        sent meanwhile, in one transaction (bot/inbox/replies.py: this runs for every reply)."""
        self.journal.record(outbox_ids)
        self._sent.extend(outbox_ids)
        if self._deleting is None:
            self._deleting = asyncio.create_task(self._delete_sent(SENT_DELETED_AFTER))

    async def _delete_sent(self, after: float) -> None:
        """If the database stays away, the ids wait for the next reply sent, and the journal keeps them: the next start
        deletes them if this process does not."""
        await asyncio.sleep(after)
        try:
            while self._sent:
                ids, self._sent = self._sent, []
                try:
                    await self._retrying(partial(self._delete_outbox, ids), None)
                except Exception as error:
                    self._sent = ids + self._sent
                    log.warning("Sent replies could not be deleted from the outbox (%s); the journal keeps them.", error_name(error))
                    return
                self.journal.settled(ids)
        finally:
            self._deleting = None

    async def _delete_outbox(self, ids: list[int]) -> None:
        """Without an ORM session, which would cost more than the DELETE."""
        async with self.engine.begin() as connection:
            await connection.execute(_DELETE_OUTBOX, {"ids": ids})

    async def settle_journal(self, now: datetime) -> int:
        """At start: what a killed process had sent and not yet noted in the database is noted now, and the journal emptied."""
        sent = self.journal.read()
        if not sent:
            return 0
        settled = await self.transaction(lambda repo: repo.settle_sent(sent, now))
        self.journal.empty()
        return settled

    async def _retrying(self, run: Callable[[], Awaitable[T]], retry_for: float | None) -> T:
        deadline = time.monotonic() + (self.retry_for if retry_for is None else retry_for)
        failures = 0
        while True:
            try:
                result = await run()
            except Exception as error:
                if not transient(error) or time.monotonic() >= deadline:
                    raise
                if not failures:
                    log.warning("The database could not run a transaction (%s); trying again.", error_name(error))
                await asyncio.sleep(min(retry_after(failures), max(0.0, deadline - time.monotonic())))
                failures += 1
                continue
            if failures:
                log.info("The database ran the transaction after %d failed tries.", failures)
            return result

    async def after_erasure(self) -> None:
        """Leaves nothing readable on disk of what was just erased (the caller committed it).

        SQLite: its connections overwrite deleted rows with zeros (secure_delete), and the
        write-ahead log, which still holds the pages as they were, is copied and emptied
        (bot/storage/sqlite.py). PostgreSQL: nothing to do here. Erased rows stay in the table's
        pages until VACUUM reuses them and in the WAL segments until they are recycled; that
        needs disk encryption and the server's own settings, not a query.

        A failure is only logged: the erasure itself is committed, and the next one tries again.
        """
        if self.engine.dialect.name != "sqlite":
            return
        try:
            await truncate_wal(self.engine)
        except (SQLAlchemyError, sqlite3.Error) as error:
            log.warning("The write-ahead log could not be emptied after an erasure (%s).", error_name(error))

    async def close(self) -> None:
        if self._deleting is not None:
            await self._deleting
        await self._delete_sent(0)
        self.journal.close()
        await self.presence.close()
        await self.engine.dispose()
