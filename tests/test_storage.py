"""Storage, on SQLite and PostgreSQL: migrations, people, secrets, forgetting."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.storage import Storage, connect, upgrade
from bot.storage.models import Event, HandoverRequest

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def migrated(url: str) -> Storage:
    store = Storage(connect(url))
    await upgrade(store.engine)
    return store


async def test_migrations_create_the_tables_and_can_run_again(database_url):
    store = await migrated(database_url)
    await upgrade(store.engine)
    async with store.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    await store.close()
    assert {"users", "events", "handover_requests", "app_secrets", "alembic_version"} <= tables


async def test_events_have_no_column_for_text_and_know_a_person_only_by_per_period_hashes(database_url):
    store = await migrated(database_url)
    async with store.engine.connect() as connection:
        columns = await connection.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("events")})
    await store.close()
    per_period = {"person_month", "person_period", "person_quarter", "person_year"}
    assert columns == {"id", "at", "channel", "language", "intent", "route", "first_contact", "in_hours", "source"} | per_period


async def test_same_pseudonym_is_the_same_person(database_url):
    store = await migrated(database_url)
    async with store.unit() as repo:
        first = await repo.people.arrive("ABCD2345", "telegram", "42", NOW)
    async with store.unit() as repo:
        again = await repo.people.arrive("ABCD2345", "telegram", "42", NOW)
    await store.close()
    assert first.is_new and not again.is_new and first.user.id == again.user.id


async def test_a_returning_person_arrives_with_what_waits_for_them_and_not_for_others(database_url):
    store = await migrated(database_url)
    async with store.unit() as repo:
        amina = (await repo.people.arrive("AMINA234", "whatsapp", "32470", NOW)).user
        lucia = (await repo.people.arrive("LUCIA234", "whatsapp", "32471", NOW)).user
        request = await repo.handover.add_request(amina, "human.request", 0, None, NOW)
        held = await repo.outbox.enqueue("whatsapp", "32470", {"text": "Voici la réponse"}, NOW, user=amina, request=request)
        held.status = "held"
    async with store.unit() as repo:
        again = await repo.people.arrive("AMINA234", "whatsapp", "32470", NOW)
        other = await repo.people.arrive("LUCIA234", "whatsapp", "32471", NOW)
    await store.close()
    assert (again.has_held, again.open_request_id) == (True, request.id)
    assert (other.user.id, other.has_held, other.open_request_id) == (lucia.id, False, None)


async def test_a_person_created_by_two_processes_at_once_is_one_person(database_url):
    await (await migrated(database_url)).close()

    async def arrive() -> tuple[int, bool]:
        store = Storage(connect(database_url))
        try:
            async with store.unit() as repo:
                arrival = await repo.people.arrive("ABCD2345", "telegram", "42", NOW)
                await asyncio.sleep(0.2)  # the other process arrives while this transaction is open
                return arrival.user.id, arrival.is_new
        finally:
            await store.close()

    # Each on an event loop of its own, as in two processes: a SQLite connection waits for the
    # other's write lock on its own loop's thread (bot/storage/sqlite.py).
    arrivals = await asyncio.gather(*(asyncio.to_thread(asyncio.run, arrive()) for _ in range(2)))
    assert arrivals[0][0] == arrivals[1][0]
    assert sorted(created for _id, created in arrivals) == [False, True]


async def test_the_secret_is_made_once_and_kept(database_url):
    first = await migrated(database_url)
    async with first.unit() as repo:
        secret = await repo.secret("pseudonym")
    await first.close()
    restarted = await migrated(database_url)
    async with restarted.unit() as repo:
        assert await repo.secret("pseudonym") == secret
    await restarted.close()
    assert len(secret) >= 32


async def test_forget_removes_the_person_and_their_requests_but_keeps_statistics(database_url):
    store = await migrated(database_url)
    async with store.unit() as repo:
        user = (await repo.people.arrive("ABCD2345", "telegram", "42", NOW)).user
        await repo.handover.add_request(user, "asked for a person", 0, "help", NOW)
        await repo.stats.record(NOW, "telegram", "fr", "human.request", "handover")
    async with store.unit() as repo:
        await repo.people.forget(await repo.people.get("ABCD2345"))
    async with store.unit() as repo:
        assert await repo.people.get("ABCD2345") is None
        assert (await repo.session.scalars(select(HandoverRequest))).all() == []
        assert len((await repo.session.scalars(select(Event))).all()) == 1
    await store.close()


async def test_conversation_state_survives_a_restart(database_url):
    store = await migrated(database_url)
    async with store.unit() as repo:
        user = (await repo.people.arrive("ABCD2345", "telegram", "42", NOW)).user
        user.language = "ar"
        user.state = {"fallbacks": 1}
    await store.close()
    restarted = await migrated(database_url)
    async with restarted.unit() as repo:
        user = await repo.people.get("ABCD2345")
    await restarted.close()
    assert (user.language, user.state) == ("ar", {"fallbacks": 1})


async def test_models_and_migrations_agree(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.storage.models import Base

    store = await migrated(database_url)
    async with store.engine.connect() as connection:
        differences = await connection.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
    await store.close()
    assert differences == []


async def test_an_outbox_id_is_never_given_twice_even_after_the_newest_row_is_deleted(database_url):
    """The sent journal names rows by id (bot/storage/journal.py): an id given again would be taken as sent."""
    store = await migrated(database_url)
    async with store.unit() as repo:
        (first,) = await repo.outbox.enqueue_replies("telegram", "1", [{"text": "a"}], NOW, timedelta(minutes=1))
    async with store.unit() as repo:
        await repo.outbox.delete([first])
    async with store.unit() as repo:
        (second,) = await repo.outbox.enqueue_replies("telegram", "1", [{"text": "b"}], NOW, timedelta(minutes=1))
    await store.close()
    assert second > first


async def test_a_transaction_the_database_failed_runs_once_more_from_nothing(storage):
    tries = []

    async def work(repo):
        tries.append(1)
        await repo.stats.record(NOW, "telegram", "fr", "prep.info", "answer")
        if len(tries) == 1:
            raise OperationalError("COMMIT", {}, ConnectionResetError("the server closed the connection"))
        return "answered"

    assert await storage.transaction(work) == "answered"
    async with storage.unit() as repo:
        assert len((await repo.session.scalars(select(Event))).all()) == 1


async def test_an_error_of_the_data_is_not_run_again(storage):
    tries = []

    async def work(repo):
        tries.append(1)
        raise IntegrityError("INSERT", {}, ValueError("duplicate key"))

    with pytest.raises(IntegrityError):
        await storage.transaction(work)
    assert len(tries) == 1
