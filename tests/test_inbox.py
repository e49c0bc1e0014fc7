"""The durable inbox: stored before acknowledged, handled in order per person, poison set aside (bot/inbox/)."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.channels.telegram.inbox import inbox_items
from bot.engine.conversation import Engine
from bot.inbox import worker as inbox_worker
from bot.logs import PrivacyFilter
from bot.storage import Storage, connect, upgrade
from bot.storage import journal as journal_module
from bot.storage.journal import SentJournal
from bot.storage.models import InboxItem, OutboxMessage
from fakes.running import all_handled, bot_settings, running_bot
from fakes.telegram_api import Person

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)
AMINA = Person(2001, first_name="Aminaprivate", language_code="fr")
LUCIA = Person(2002, first_name="Luciaprivate", language_code="es")
STAFF_CHAT = -1009876543210
SECRET_TEXT = "mon numero est 0470123456 et je m'appelle Aminaprivate"


def item(delivery_id: str, sender: str | None, text: str = "x") -> dict:
    return {"channel": "telegram", "delivery_id": delivery_id, "sender_key": sender, "payload": {"text": text}}


@pytest.fixture
async def storage(database_url):
    engine = connect(database_url)
    await upgrade(engine)
    storage = Storage(engine, retry_for=0.5)
    yield storage
    await storage.close()


async def rows(storage: Storage) -> list[InboxItem]:
    async with storage.unit() as repo:
        return list(await repo.session.scalars(select(InboxItem).order_by(InboxItem.id)))


async def test_an_update_delivered_twice_is_stored_once(storage):
    async with storage.unit() as repo:
        assert len(await repo.inbox.store([item("1", "A"), item("2", "A")], NOW)) == 2
    async with storage.unit() as repo:
        assert len(await repo.inbox.store([item("2", "A"), item("3", "B")], NOW)) == 1
    assert [row.delivery_id for row in await rows(storage)] == ["1", "2", "3"]


async def test_only_the_oldest_pending_message_of_each_person_can_be_claimed(storage):
    async with storage.unit() as repo:
        await repo.inbox.store([item("1", "A"), item("2", "A"), item("3", "B"), item("4", None), item("5", None)], NOW)
    async with storage.unit() as repo:
        first = await repo.inbox.claim("w1", ["telegram"], NOW, 10, LEASE)
    assert [row.delivery_id for row in first] == ["1", "3", "4", "5"]
    async with storage.unit() as repo:
        assert await repo.inbox.claim("w2", ["telegram"], NOW, 10, LEASE) == []  # A's second waits behind the first
        assert await repo.inbox.finish(first[0].id, NOW)
        assert not await repo.inbox.finish(first[0].id, NOW)  # done once, whoever comes second
    async with storage.unit() as repo:
        second = await repo.inbox.claim("w2", ["telegram"], NOW, 10, LEASE)
    assert [row.delivery_id for row in second] == ["2"]


async def test_a_handled_row_keeps_no_text_and_no_sender_and_goes_after_eight_days(storage):
    async with storage.unit() as repo:
        await repo.inbox.store([item("1", "A", SECRET_TEXT), item("2", "B", SECRET_TEXT)], NOW)
    first, second = await rows(storage)
    async with storage.unit() as repo:
        await repo.inbox.finish(first.id, NOW)
        await repo.inbox.set_aside(second.id, "KeyError", NOW)
    handled = await rows(storage)
    assert [(row.status, row.payload, row.sender_key) for row in handled] == [("done", None, None), ("dead", None, None)]
    assert handled[1].error == "KeyError"
    async with storage.unit() as repo:
        assert await repo.inbox.forget_handled(NOW - timedelta(days=1)) == 0
        assert await repo.inbox.forget_handled(NOW + timedelta(seconds=1)) == 2


async def test_an_expired_claim_can_be_taken_again_but_the_row_is_done_once(storage):
    async with storage.unit() as repo:
        await repo.inbox.store([item("1", "A")], NOW)
    async with storage.unit() as repo:
        [claimed] = await repo.inbox.claim("w1", ["telegram"], NOW, 10, LEASE)
    async with storage.unit() as repo:
        assert await repo.inbox.claim("w2", ["telegram"], NOW + LEASE / 2, 10, LEASE) == []
        [again] = await repo.inbox.claim("w2", ["telegram"], NOW + LEASE * 2, 10, LEASE)
    assert again.id == claimed.id
    async with storage.unit() as repo:
        assert await repo.inbox.finish(again.id, NOW)
    async with storage.unit() as repo:
        assert not await repo.inbox.finish(claimed.id, NOW)


async def test_two_processes_never_claim_the_same_row(database_url):
    engines = [connect(database_url), connect(database_url)]
    await upgrade(engines[0])
    storages = [Storage(engine) for engine in engines]
    async with storages[0].unit() as repo:
        await repo.inbox.store([item(str(n), f"P{n % 40}") for n in range(200)], NOW)
    taken: list[list[int]] = [[], []]

    async def work(index: int) -> None:
        while True:
            async with storages[index].unit() as repo:
                claimed = await repo.inbox.claim(f"w{index}", ["telegram"], NOW, 7, LEASE)
            if not claimed:
                async with storages[index].unit() as repo:
                    if not await repo.inbox.pending():
                        return
                await asyncio.sleep(0.005)
                continue
            for row in claimed:
                taken[index].append(row.id)
                async with storages[index].unit() as repo:
                    assert await repo.inbox.finish(row.id, NOW)

    await asyncio.gather(work(0), work(1))
    for storage in storages:
        await storage.close()
    assert len(taken[0]) + len(taken[1]) == 200 and not set(taken[0]) & set(taken[1])


# --- The running bot ---------------------------------------------------------------------------


async def inbox_rows(app) -> list[InboxItem]:
    return await rows(app.storage)


async def test_polling_stores_each_update_before_confirming_it_and_answers_from_the_inbox(bot_api, database_url, faq, nlu):
    async with running_bot(bot_api, bot_settings(bot_api, database_url), (faq, nlu)) as app:
        bot_api.message(AMINA, "/start")
        bot_api.message(AMINA, "c koi la prep")
        await bot_api.wait_sent(AMINA.id, 1)
        await all_handled(app)
        stored = await inbox_rows(app)
        async with app.storage.unit() as repo:
            outbox = list(await repo.session.scalars(select(OutboxMessage)))
    offsets = [call.params.get("offset") for call in bot_api.calls_to("getUpdates")]
    assert [row.status for row in stored] == ["done", "done"]
    assert all(row.payload is None and row.sender_key is None for row in stored)
    assert max(int(row.delivery_id) for row in stored) + 1 in offsets
    assert outbox == []  # the replies went out, and their text with them
    assert bot_api.texts(AMINA.id)[0].startswith("Bonjour et bienvenue")


def unreadable(person: Person) -> dict:
    """A message whose date is a string: PTB's de_json accepts no such update (as with a Bot API it does not know)."""
    return {"message": {"message_id": 1, "date": "yesterday", "chat": person.chat(), "from": person.user(), "text": SECRET_TEXT}}


async def test_an_unreadable_update_is_set_aside_the_staff_told_once_and_the_rest_flows(bot_api, database_url, faq, nlu, caplog):
    settings = bot_settings(bot_api, database_url, staff_chat_id=STAFF_CHAT, staff_ids={9: "Sam"})
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(PrivacyFilter())  # as `outreach-bot run` has it on every handler
    async with running_bot(bot_api, settings, (faq, nlu)) as app:
        poison = bot_api.push(unreadable(AMINA))
        bot_api.message(AMINA, "/start")
        bot_api.message(LUCIA, "/start")
        await bot_api.settle(quiet=1.0)
        await all_handled(app)
        stored = {row.delivery_id: row for row in await inbox_rows(app)}

    dead = stored[str(poison)]
    assert (dead.status, dead.payload, dead.sender_key, dead.error) == ("dead", None, None, "Unreadable")
    assert [row.status for key, row in stored.items() if key != str(poison)] == ["done", "done"]
    amina = bot_api.texts(AMINA.id)
    assert len([text for text in amina if text.startswith("Pardon, quelque chose n'a pas marché")]) == 1
    assert any(text.startswith("Bonjour et bienvenue") for text in amina)
    assert bot_api.texts(LUCIA.id)
    notices = [params["text"] for params in bot_api.sent(STAFF_CHAT)]
    assert len([text for text in notices if "could not be read" in text or "n'a pas pu" in text]) == 1
    logged = caplog.text
    assert "set aside" in logged
    for private in (SECRET_TEXT, "0470123456", AMINA.first_name, str(AMINA.id), "Bonjour"):
        assert private not in logged


async def test_a_message_whose_handling_keeps_failing_is_set_aside_after_a_few_tries(bot_api, database_url, faq, nlu, monkeypatch):
    monkeypatch.setattr(inbox_worker, "FIRST_RETRY_AFTER", 0.05)
    monkeypatch.setattr(inbox_worker, "POLL_SECONDS", 0.05)
    original = Engine._dispatch
    tries = 0

    async def failing(self, turn):
        nonlocal tries
        if turn.message.text == "boom":
            tries += 1
            raise KeyError(SECRET_TEXT)
        await original(self, turn)

    monkeypatch.setattr(Engine, "_dispatch", failing)
    async with running_bot(bot_api, bot_settings(bot_api, database_url), (faq, nlu)) as app:
        bot_api.message(AMINA, "boom")
        bot_api.message(AMINA, "/start")
        for _ in range(200):
            if len(bot_api.texts(AMINA.id)) >= 2:
                break
            await asyncio.sleep(0.05)
        await all_handled(app)
        stored = await inbox_rows(app)
    assert tries == inbox_worker.MAX_TRIES
    assert [(row.status, row.error) for row in stored] == [("dead", "KeyError"), ("done", None)]
    texts = bot_api.texts(AMINA.id)
    assert len([text for text in texts if text.startswith("Pardon, quelque chose n'a pas marché")]) == 1
    assert any(text.startswith("Bonjour et bienvenue") for text in texts)


async def test_what_a_stopped_bot_had_stored_is_answered_at_start_in_order(bot_api, database_url, faq, nlu):
    engine = connect(database_url)
    await upgrade(engine)
    storage = Storage(engine)
    settings = bot_settings(bot_api, database_url)
    async with running_bot(bot_api, settings, (faq, nlu)) as app:
        key_of = app.engine.pseudonym_of

    updates = [bot_api.new_message(AMINA, "/start"), bot_api.new_message(AMINA, "/privacy"), bot_api.new_message(LUCIA, "/start")]
    async with storage.unit() as repo:
        await repo.inbox.store(inbox_items(updates, key_of), datetime.now(UTC))
    await storage.close()
    since = bot_api.mark()
    async with running_bot(bot_api, settings, (faq, nlu)) as app:
        await all_handled(app)
    amina = bot_api.texts(AMINA.id, since)
    assert amina[0].startswith("Bonjour et bienvenue") and "/forget" in amina[-1] and len(amina) == 3  # welcome, language picker, privacy
    assert bot_api.texts(LUCIA.id, since)


async def test_replies_stored_but_not_sent_when_the_bot_was_killed_go_out_at_the_next_start(bot_api, tmp_path, faq, nlu):
    """SQLite: one process, so a claim left in the database at start is a killed process's."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    storage = Storage(connect(database_url))
    await upgrade(storage.engine)
    async with storage.unit() as repo:
        ids = await repo.outbox.enqueue_replies(
            "telegram", str(AMINA.id), [{"text": "première", "lang": "fr", "erase_when_done": True}, {"text": "seconde", "lang": "fr", "erase_when_done": True}],
            datetime.now(UTC), timedelta(minutes=5),
        )
    await storage.close()
    assert len(ids) == 2
    async with running_bot(bot_api, bot_settings(bot_api, database_url), (faq, nlu)) as app:
        await bot_api.wait_sent(AMINA.id, 2)
        await all_handled(app)
        async with app.storage.unit() as repo:
            left = list(await repo.session.scalars(select(OutboxMessage)))
    assert bot_api.texts(AMINA.id) == ["première", "seconde"]
    assert left == []


@pytest.mark.parametrize("lease", [timedelta(minutes=5), timedelta(seconds=-1)], ids=["claim-still-held", "claim-run-out"])
async def test_a_reply_the_journal_says_went_out_before_the_kill_is_not_sent_again(bot_api, tmp_path, faq, nlu, lease):
    """Killed between Telegram's answer and the DELETE's commit: the journal, written first, knows.

    "claim-run-out": the next start took longer than the replies' lease (a minute of training on a
    busy machine), so the outbox, which starts first, finds them due: the journal is settled before."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    journal_path = tmp_path / "bot.sqlite3-sent"
    storage = Storage(connect(database_url), journal=SentJournal(journal_path))
    await upgrade(storage.engine)
    async with storage.unit() as repo:
        first, _second = await repo.outbox.enqueue_replies(
            "telegram", str(AMINA.id), [{"text": "première", "lang": "fr", "erase_when_done": True}, {"text": "seconde", "lang": "fr", "erase_when_done": True}],
            datetime.now(UTC), lease,
        )
    storage.journal.record([first])
    await storage.close()
    async with running_bot(bot_api, bot_settings(bot_api, database_url), (faq, nlu)) as app:
        await bot_api.wait_sent(AMINA.id, 1)
        await all_handled(app)
        async with app.storage.unit() as repo:
            left = list(await repo.session.scalars(select(OutboxMessage)))
    assert bot_api.texts(AMINA.id) == ["seconde"]
    assert left == []
    assert journal_path.read_bytes() == b""


def postgresql_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one bot process: a claim left at start is a killed run's, taken back at once")


async def test_a_process_holding_its_lock_is_alive_and_one_that_lost_it_is_absent(database_url):
    postgresql_only(database_url)
    engines = [connect(database_url), connect(database_url)]
    await upgrade(engines[0])
    alive, killed = Storage(engines[0]), Storage(engines[1])
    assert await alive.presence.keep() and await killed.presence.keep()
    async with killed.unit() as repo:
        await repo.inbox.store([item("1", "A"), item("2", "B")], NOW)
        await repo.inbox.claim(killed.owner, ["telegram"], NOW, 1, LEASE)
    async with alive.unit() as repo:
        await repo.inbox.claim(alive.owner, ["telegram"], NOW, 1, LEASE)
        assert (await repo.absent_owners())[0] == set()
    await killed.presence.close()  # what the server does when the process's connection closes
    async with alive.unit() as repo:
        assert (await repo.absent_owners())[0] == {killed.owner}
    await alive.presence.close()
    async with alive.unit() as repo:
        assert (await repo.absent_owners())[0] == {killed.owner}  # never its own, while it takes its lock again
    await killed.close()
    await alive.close()


async def test_what_a_killed_process_had_claimed_is_taken_over_in_seconds_not_after_its_lease(bot_api, database_url, faq, nlu):
    postgresql_only(database_url)
    settings = bot_settings(bot_api, database_url)
    async with running_bot(bot_api, settings, (faq, nlu)) as app:
        key_of = app.engine.pseudonym_of
    killed = Storage(connect(database_url))
    assert await killed.presence.keep()
    long_lease = timedelta(minutes=10)
    async with killed.unit() as repo:
        await repo.inbox.store(inbox_items([bot_api.new_message(LUCIA, "/start")], key_of), datetime.now(UTC))
        await repo.inbox.claim(killed.owner, ["telegram"], datetime.now(UTC), 10, long_lease)
        await repo.outbox.enqueue_replies(
            "telegram", str(AMINA.id), [{"text": "première", "lang": "fr", "erase_when_done": True}, {"text": "seconde", "lang": "fr", "erase_when_done": True}],
            datetime.now(UTC), long_lease,
        )
    await killed.close()
    since = bot_api.mark()
    async with running_bot(bot_api, settings, (faq, nlu)) as app:
        await bot_api.wait_sent(AMINA.id, 2, timeout=15)
        await all_handled(app, timeout=15)
    assert bot_api.texts(AMINA.id, since) == ["première", "seconde"]
    assert bot_api.texts(LUCIA.id, since)


def test_the_journal_reads_the_ids_written_and_leaves_a_line_cut_by_a_kill(tmp_path):
    journal = SentJournal(tmp_path / "sent")
    journal.record([7, 3])
    journal.close()
    with (tmp_path / "sent").open("ab") as file:
        file.write(b"12")  # the kill came in the middle of a write: no newline
    assert SentJournal(tmp_path / "sent").read() == [3, 7]


def test_settling_the_journal_at_start_keeps_what_was_recorded_meanwhile(tmp_path):
    """The outbox starts before the inbox settles the journal: a reply it sent during the settling stays written down."""
    journal = SentJournal(tmp_path / "sent")
    journal.record([1, 2])
    read = journal.read()
    journal.record([3])
    journal.withdraw(1)
    journal.record([1])
    journal.drop(read)
    assert journal.read() == [3] and journal.holds(3) and not journal.holds(1)


def test_the_journal_is_emptied_once_every_id_in_it_is_settled_in_the_database(tmp_path, monkeypatch):
    monkeypatch.setattr(journal_module, "EMPTIED_PAST", 10)
    journal = SentJournal(tmp_path / "sent")
    journal.record([1001, 1002, 1003])
    journal.settled([1001, 1002])
    assert journal.read() == [1001, 1002, 1003]  # one DELETE is not committed yet
    journal.settled([1003])
    assert journal.read() == []

