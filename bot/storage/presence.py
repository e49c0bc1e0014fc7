"""Which bot processes are alive, so that the claims of one killed on PostgreSQL are taken over at once.

Every claim (an inbox row in hand, an outbox row being sent, the replies to a handled message)
names the process that made it (`Storage.owner`). On PostgreSQL each process holds a session
advisory lock on (NAMESPACE, its owner number) on a connection of its own for as long as it runs;
the server drops that lock the moment the connection closes, which a killed process's does. A
claim whose owner holds no lock is a dead process's, and another process can take its rows
without waiting for the claim's lease to run out (30 to 60 s).

A live process loses its lock too when the server restarts: it takes it again at the inbox worker's
next look, within a second (`keep`), and a process is judged dead only after it has been seen
without a lock for ABSENT_FOR.
Even a wrong judgement sends nothing twice from the inbox (a row is marked done in the
transaction that handles it, once); it could send a reply twice, which is why the wait is there.

SQLite has one bot process and no locks: at start, every claim is a previous run's.
"""

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.database import error_name

log = logging.getLogger(__name__)

NAMESPACE = 0x6F62
"""The first key of the advisory locks of bot processes (the second is the owner number); the
migration lock (bot/storage/database.py) is a single key, which PostgreSQL keeps apart."""
ABSENT_FOR = 2.0
"""Seconds a claim's owner must be seen without its lock before its claims are taken over: more
than a live process needs to take its lock again after a restart of the server (it tries at every
look of its inbox worker, bot/inbox/worker.py POLL_SECONDS)."""

_LOCK = text("SELECT pg_try_advisory_lock(:namespace, :owner)")
_PING = text("SELECT 1")
LIVE_OWNERS = text(
    "SELECT objid::text FROM pg_locks WHERE locktype = 'advisory' AND classid = :namespace AND objsubid = 2 AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
"""The owner numbers of the processes alive on this database, for the queries that judge claims."""


class Presence:
    """This process's lock, on a connection that does nothing else."""

    def __init__(self, engine: AsyncEngine, owner: str):
        self.engine = engine
        self.owner = owner
        self._connection: AsyncConnection | None = None

    @property
    def needed(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def keep(self) -> bool:
        """True when this process holds its lock, taken again on a new connection if the old one was lost;
        False while the database is away. On SQLite, always True: there is no lock to hold."""
        if not self.needed:
            return True
        if self._connection is not None:
            try:
                await self._connection.execute(_PING)
                return True
            except Exception as error:
                log.info("The connection that shows this process alive was lost (%s); taking it again.", error_name(error))
                await self._drop()
        try:
            self._connection = await self.engine.connect()
            await self._connection.execution_options(isolation_level="AUTOCOMMIT")
            held = await self._connection.scalar(_LOCK, {"namespace": NAMESPACE, "owner": int(self.owner)})
        except Exception as error:
            log.debug("The database is away (%s): this process's lock waits for it.", error_name(error))
            await self._drop()
            return False
        if not held:
            await self._drop()
            raise RuntimeError("another process holds this process's lock: two processes drew the same owner number")
        return True

    async def close(self) -> None:
        await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.invalidate()
            except Exception as error:
                log.debug("Closing a lost connection failed (%s).", error_name(error))
