"""A database that is briefly away (a lost connection, a restart, another process's lock) costs no message.

Storage.transaction runs a unit of work again, with backoff, while the error says the database
could not be reached; an error of the work itself is raised at once. On PostgreSQL, the server
of TEST_POSTGRES_URL (.ci/postgres.sh) is really stopped and started again under a stream of
messages.
"""

import asyncio
import errno
import os
import socket
import sqlite3
import time
from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from bot.errors import DatabaseUnreachable
from bot.storage import Storage, connect
from bot.storage.database import error_name, transient
from bot.storage.models import Event
from conftest import NOW
from fakes.postgres import LocalServer, fresh_database, restartable_server
from fakes.running import bot_settings, running_bot
from fakes.telegram_api import Person

APOLOGY = "Sorry, something went wrong on my side. Please write your message again in a moment."


def sqlite_busy_error(tmp_path: Path) -> sqlite3.OperationalError:
    """A real "database is locked", as SQLite raises it (with its error code)."""
    path = tmp_path / "locked.sqlite3"
    holder, waiter = sqlite3.connect(path, isolation_level=None), sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        waiter.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        return error
    finally:
        holder.close()
        waiter.close()
    raise AssertionError("SQLite did not refuse the second writer")


def asyncpg_errors() -> list[Exception]:
    asyncpg = pytest.importorskip("asyncpg")
    return [
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.exceptions.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
    ]


def test_connection_errors_and_a_server_going_away_are_transient(tmp_path):
    """As SQLAlchemy raises the driver's errors: wrapped in a DBAPIError (the driver's error is `orig`)."""
    errors = [
        ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
        *asyncpg_errors(),
        sqlite_busy_error(tmp_path),
    ]
    for error in errors:
        assert transient(OperationalError("SELECT 1", {}, error)), error
        assert transient(DBAPIError("SELECT 1", {}, error)), error
    assert transient(DBAPIError("SELECT 1", {}, Exception("whatever"), connection_invalidated=True))


def test_a_refused_or_failed_connection_is_transient():
    """Connecting fails with a plain OSError, which SQLAlchemy does not wrap: `connect` raises it as DatabaseUnreachable."""
    for cause in (
        ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"),
        OSError(errno.ENETUNREACH, "Network is unreachable"),
        OSError("Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1', 5432), [Errno 99] Cannot assign requested address"),
        TimeoutError(),
    ):
        try:
            raise DatabaseUnreachable(type(cause).__name__) from cause
        except DatabaseUnreachable as error:
            assert transient(error)
            assert error_name(error) == type(cause).__name__


async def test_a_server_that_is_not_there_is_retried_then_raised():
    pytest.importorskip("asyncpg")
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens there
    store = Storage(connect(f"postgresql+asyncpg://nobody@127.0.0.1:{port}/nothing"))
    tries = []

    async def work(repo):
        tries.append(1)
        await repo.session.execute(text("SELECT 1"))

    try:
        with pytest.raises(DatabaseUnreachable) as raised:
            await store.transaction(work, retry_for=0.3)
    finally:
        await store.close()
    assert transient(raised.value) and isinstance(raised.value.__cause__, ConnectionRefusedError)
    assert len(tries) >= 3


def test_errors_of_the_work_or_the_data_are_not_transient():
    asyncpg = pytest.importorskip("asyncpg")
    assert not transient(IntegrityError("INSERT", {}, asyncpg.exceptions.UniqueViolationError("duplicate key")))
    assert not transient(DataError("INSERT", {}, asyncpg.exceptions.StringDataRightTruncationError("value too long")))
    assert not transient(OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: nowhere")))
    assert not transient(DBAPIError("SELECT", {}, asyncpg.exceptions.UndefinedColumnError("column does not exist")))
    assert not transient(DBAPIError("SELECT", {}, asyncpg.exceptions.InternalClientError("unexpected codec")))
    assert not transient(ValueError("a bug"))
    assert not transient(ConnectionError("the NLU is restarting"))  # not the database's: the work's own
    assert not transient(ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"))


async def test_a_unit_of_work_that_fails_n_times_on_the_connection_runs_n_plus_one_times(storage: Storage):
    tries = []

    async def work(repo):
        tries.append(time.monotonic())
        await repo.stats.record(NOW, "telegram", "fr", "prep.info", "answer")
        if len(tries) <= 3:
            raise OperationalError("COMMIT", {}, ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"))
        return "answered"

    assert await storage.transaction(work, retry_for=5) == "answered"
    assert len(tries) == 4
    assert all(later > earlier for earlier, later in pairwise(tries))
    async with storage.unit() as repo:
        assert await repo.session.scalar(select(func.count()).select_from(Event)) == 1  # the failed tries were rolled back


async def test_a_database_that_stays_away_fails_after_the_budget(storage: Storage):
    tries = []

    async def work(_repo):
        tries.append(1)
        raise OperationalError("BEGIN", {}, ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"))

    started = time.monotonic()
    with pytest.raises(OperationalError):
        await storage.transaction(work, retry_for=0.4)
    elapsed = time.monotonic() - started
    assert 0.4 <= elapsed < 1.5
    assert len(tries) >= 3


@pytest.mark.parametrize(
    "error",
    [IntegrityError("INSERT", {}, ValueError("duplicate key")), DataError("INSERT", {}, ValueError("value too long")), ValueError("a bug")],
    ids=["integrity", "data", "bug"],
)
async def test_an_error_of_the_work_is_raised_at_once(storage: Storage, error: Exception):
    tries = []

    async def work(_repo):
        tries.append(1)
        raise error

    with pytest.raises(type(error)):
        await storage.transaction(work, retry_for=5)
    assert len(tries) == 1


class FlakyStorage(Storage):
    """Its first `failures` units of work cannot reach the database."""

    def __init__(self, storage: Storage, failures: int):
        super().__init__(storage.engine, retry_for=5)
        self.failures = failures

    def unit(self):  # type: ignore[override]
        if self.failures:
            self.failures -= 1
            raise DatabaseUnreachable("ConnectionRefusedError") from ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")
        return super().unit()


async def test_the_person_is_told_nothing_while_the_database_is_away(engine, storage, send, catalogs):
    engine.storage = FlakyStorage(storage, failures=3)
    replies = await send("quels sont vos horaires")

    assert replies and catalogs.translator("fr").gettext(APOLOGY) not in replies.texts
    assert engine.storage.failures == 0


# --- A real restart of PostgreSQL ---------------------------------------------------------------


@pytest.fixture
async def restartable_postgres() -> AsyncIterator[tuple[str, LocalServer]]:
    """A fresh database on the local test server, and the means to restart that server."""
    found = await restartable_server()
    if isinstance(found, str):
        pytest.skip(found)
    admin_url, server = found
    async with fresh_database(admin_url, f"test_restart_{os.getpid()}") as database_url:
        yield database_url, server


PEOPLE = [Person(3000 + number, first_name=f"P{number}", language_code="fr") for number in range(8)]
QUESTIONS = ["quels sont vos horaires", "c koi la prep", "où faire un test VIH", "merci"]
DOWN_FOR = 1.0
"""Seconds the server stays stopped (a restart that waits for nothing takes 0.2 to 0.6 s)."""


async def test_a_postgresql_restart_in_the_middle_of_a_stream_of_messages_loses_none(restartable_postgres, bot_api, faq, nlu, catalogs):
    database_url, server = restartable_postgres
    sent_messages = 0

    async def stream(seconds: float, every: float = 0.04) -> None:
        nonlocal sent_messages
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            person = PEOPLE[sent_messages % len(PEOPLE)]
            bot_api.message(person, QUESTIONS[sent_messages // len(PEOPLE) % len(QUESTIONS)])
            sent_messages += 1
            await asyncio.sleep(every)

    async def restart() -> None:
        await asyncio.sleep(0.8)
        try:
            await server.stop()
            await asyncio.sleep(DOWN_FOR)
        finally:
            await server.start()

    async with running_bot(bot_api, bot_settings(bot_api, database_url), (faq, nlu)) as app:
        await asyncio.gather(stream(seconds=3.5), restart())
        handled = 0
        for _ in range(300):  # up to 30 s: every message answered (its event noted) and the bot quiet
            async with app.storage.unit() as repo:
                handled = await repo.session.scalar(select(func.count()).select_from(Event))
            if handled == sent_messages:
                break
            await asyncio.sleep(0.1)
        await bot_api.settle()

    texts = [text for person in PEOPLE for text in bot_api.texts(person.id)]
    assert sent_messages > 60
    assert handled == sent_messages
    assert catalogs.translator("fr").gettext(APOLOGY) not in texts
    for person in PEOPLE:
        asked = sum(1 for update in bot_api.pushed.values() if update["message"]["from"]["id"] == person.id)
        assert len(bot_api.sent(person.id)) >= asked
