"""The unit of work and its queries, by kind of data (people.py, handover.py, outbox.py, statistics.py,
inbox_queries.py). SQL lives in bot/storage/ and nowhere else."""

import asyncio
import logging
import math
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from typing import TypeVar

from sqlalchemy import String, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.storage.database import ERASED, RETRY_FOR, error_name, retry_after, sessions, touched, transient
from bot.storage.handover import HandoverQueries
from bot.storage.inbox_queries import InboxQueries
from bot.storage.journal import SentJournal
from bot.storage.models import AppSecret, InboxItem, InboxStatus, OutboxMessage, OutboxStatus, SeenUpdate, table_of
from bot.storage.outbox import DELETE_BY_IDS, REPLIES_CLAIM, OutboxQueries
from bot.storage.people import PeopleQueries
from bot.storage.presence import LIVE_OWNERS, NAMESPACE, Presence
from bot.storage.reports import ReportQueries
from bot.storage.sqlite import truncate_wal
from bot.storage.statistics import NEW_SALTS, StatisticsQueries
from bot.storage.unanswered import UnansweredQueries

log = logging.getLogger(__name__)
T = TypeVar("T")


_FIRST_DELIVERY = {
    "postgresql": postgresql.insert(table_of(SeenUpdate)).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(table_of(SeenUpdate)).on_conflict_do_nothing(),
}
SENT_DELETED_AFTER = 0.05
"""Seconds a sent reply stays in the outbox, to be deleted with the others sent meanwhile: one transaction for many."""


class Repository:
    """The queries of one unit of work (one incoming message, usually), by kind of data: people, handover,
    outbox, stats, inbox; and what spans them (the claims of dead processes, deliveries seen, the bot's secrets)."""

    def __init__(self, session: AsyncSession, owner: str, salts: dict[str, str] | None = None):
        """`owner`: the process's name in the claims it makes (Storage.owner). `salts`: the reports' salts already read (Storage.salts)."""
        self.session = session
        self.owner = owner
        self.people = PeopleQueries(session)
        self.handover = HandoverQueries(session)
        self.outbox = OutboxQueries(session, owner)
        self.stats = StatisticsQueries(session, salts)
        self.inbox = InboxQueries(session)
        """Incoming updates, stored before they are acknowledged (bot/inbox/)."""
        self.reports = ReportQueries(session)
        """What reports count (bot/reports/): statistics and handovers, never text."""
        self.unanswered = UnansweredQueries(session)
        """The questions the bot could not answer well, scrubbed, for the FAQ editors."""

    async def absent_owners(self) -> tuple[set[str], float]:
        """The processes that made claims still standing (inbox, outbox, replies) and hold no lock, and the seconds
        the server has been running.

        This process's own claims are never among them, even while it takes its lock again. SQLite has one bot
        process and no locks: every other owner is a previous run's, killed, absent for ever.
        """
        inbox, outbox = table_of(InboxItem), table_of(OutboxMessage)
        reply_owner = func.substr(outbox.c.claimed_by, len(REPLIES_CLAIM) + 1)
        owners = select(inbox.c.claimed_by.label("owner")).where(inbox.c.status == InboxStatus.PENDING, inbox.c.claimed_by.is_not(None)).union(
            select(case((outbox.c.claimed_by.startswith(REPLIES_CLAIM), reply_owner), else_=outbox.c.claimed_by))
            .where(outbox.c.status == OutboxStatus.QUEUED, outbox.c.claimed_by.is_not(None))
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
            for table, status in ((inbox, InboxStatus.PENDING), (outbox, OutboxStatus.QUEUED))
        ]
        return touched(released[0]), touched(released[1])

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
        self.salts: dict[str, str] = {}
        """The reports' salts read in committed transactions (bot/storage/statistics.py): they never change."""
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
                yield Repository(session, self.owner, self.salts)
            erased = session.info.pop(ERASED, False)
            self.salts.update(session.info.pop(NEW_SALTS, {}))
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
            await connection.execute(DELETE_BY_IDS, {"ids": ids})

    async def settle_journal(self, now: datetime) -> int:
        """At start: what a killed process had sent and not yet noted in the database is noted now, and the journal emptied."""
        sent = self.journal.read()
        if not sent:
            return 0
        settled = await self.transaction(lambda repo: repo.outbox.settle_sent(sent, now))
        self.journal.drop(sent)
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
