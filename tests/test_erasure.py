"""Erasure that erases: after /forget and the retention purge, nothing of the erased text is left in SQLite's files.

The tests read the raw bytes of the database file and of its write-ahead log (-wal), where
SQLite keeps the pages as they were until a checkpoint. PostgreSQL needs nothing of the bot
for this (Storage.after_erasure says why), so these tests are SQLite's.
"""

from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from bot.engine import payloads
from bot.storage import Storage
from conftest import NOW
from handover.jobs import erase_old_text

PHONE = "0470 12 34 56"
PHRASE = "il m'a frappee rue Zwaluw"
CHAT_ID = "55501234567"
MARKERS = [PHONE.encode(), PHRASE.encode(), CHAT_ID.encode()]


def database_files(storage: Storage) -> list[Path]:
    """The database file and its companions (-wal, -shm)."""
    database = Path(storage.engine.url.database or "")
    return sorted(database.parent.glob(database.name + "*"))


def readable(storage: Storage) -> dict[str, list[bytes]]:
    """The markers found in each of the database's files."""
    found = {path.name: [marker for marker in MARKERS if marker in path.read_bytes()] for path in database_files(storage)}
    return {name: markers for name, markers in found.items() if markers}


async def checkpoint(storage: Storage) -> None:
    """What SQLite does by itself now and then: the log's pages go into the database file (the log is kept)."""
    async with storage.engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


async def a_handover_with_the_markers(storage: Storage, closed: bool = False) -> None:
    """A person's handover, its text in the database file and in the log alike."""
    async with storage.unit() as repo:
        user = (await repo.people.arrive("ZWALUW23", "telegram", CHAT_ID, NOW)).user
        request = await repo.handover.add_request(user, "crisis.violence", 2, f"{PHRASE}, mon numéro {PHONE}", NOW)
        await repo.handover.add_message(request, "person", f"{PHRASE}, mon numéro {PHONE}", NOW)
        relayed = await repo.outbox.enqueue("staff", "-100", {"kind": "post", "text": f"{PHRASE}, mon numéro {PHONE}"}, NOW, request=request)
        relayed.status = "sent"  # the person's words, posted in the staff topic
    await checkpoint(storage)
    async with storage.unit() as repo:
        request = (await repo.handover.open_of(user))[0]
        await repo.handover.add_message(request, "person", f"encore: {PHRASE} {PHONE}", NOW)
        if closed:
            await repo.handover.close(request, NOW - timedelta(days=40))


async def test_every_connection_overwrites_what_it_deletes(storage: Storage):
    async with storage.engine.connect() as connection:
        assert await connection.scalar(text("PRAGMA secure_delete")) == 1


async def test_forget_leaves_nothing_readable_in_the_database_nor_in_its_log(storage: Storage):
    await a_handover_with_the_markers(storage)
    before = readable(storage)
    assert set(before["bot.sqlite3"]) == set(MARKERS) and set(before["bot.sqlite3-wal"]) >= {PHONE.encode(), PHRASE.encode()}

    async def forget(repo):
        user = await repo.people.get("ZWALUW23")
        await repo.people.forget(user)

    await storage.transaction(forget)

    assert readable(storage) == {}
    assert (Path(storage.engine.url.database or "").parent / "bot.sqlite3-wal").stat().st_size == 0


async def test_forget_through_the_conversation_leaves_nothing_readable(send, storage: Storage):
    await send(f"je veux parler a une personne, {PHRASE}, mon numéro {PHONE}", person=CHAT_ID)
    await checkpoint(storage)
    await send(f"{PHRASE} {PHONE}", person=CHAT_ID)
    assert readable(storage)

    await send("/forget", person=CHAT_ID)
    await send(payload=payloads.FORGET_YES, person=CHAT_ID)

    assert readable(storage) == {}


async def test_the_retention_purge_leaves_nothing_readable(storage: Storage):
    await a_handover_with_the_markers(storage, closed=True)
    assert {PHONE.encode(), PHRASE.encode()} <= set(readable(storage)["bot.sqlite3"])

    assert await erase_old_text(storage, 30, NOW) == 1

    text_left = {name: set(markers) - {CHAT_ID.encode()} for name, markers in readable(storage).items()}
    assert not any(text_left.values())  # the person stays (their chat id, to answer them): only the text goes


async def test_an_erasure_rolled_back_is_not_followed_by_a_checkpoint(storage: Storage):
    """The checkpoint follows a committed erasure only: a failed unit of work leaves the log as it was."""
    await a_handover_with_the_markers(storage)
    wal = Path(storage.engine.url.database or "").parent / "bot.sqlite3-wal"
    size = wal.stat().st_size

    async def forget_then_fail(repo):
        await repo.people.forget(await repo.people.get("ZWALUW23"))
        raise ValueError("something else went wrong")

    try:
        await storage.transaction(forget_then_fail)
    except ValueError:
        pass
    async with storage.unit() as repo:
        assert await repo.people.get("ZWALUW23") is not None
    assert wal.stat().st_size >= size > 0


async def test_forget_leaves_nothing_readable_of_a_question_kept_for_the_faq_editors(storage: Storage):
    from bot.storage.unanswered import Unanswered

    async with storage.unit() as repo:
        user = (await repo.people.arrive("ZWALUW23", "telegram", "1", NOW)).user
        await repo.unanswered.add(user, Unanswered(NOW, "fr", "out_of_scope", 0.1, PHRASE))
    await checkpoint(storage)

    async def forget(repo):
        await repo.people.forget(await repo.people.get("ZWALUW23"))

    await storage.transaction(forget)

    assert readable(storage) == {}
