"""The questions the bot could not answer, for the FAQ editors: scrubbed before storing, grouped, kept a few weeks."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.engine.unanswered import scrub
from bot.reports.questions import grouped
from bot.storage import Storage, connect, upgrade
from bot.storage.unanswered import Unanswered
from handover.jobs import erase_old_unanswered, forget_old_salts

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("appelle-moi au 0470 12 34 56", "appelle-moi au [phone]"),
        ("llámame al +34 612 345 678 por favor", "llámame al [phone] por favor"),
        ("écris à nadia.b@example.org", "écris à [e-mail]"),
        ("regarde https://example.be/page?id=3 stp", "regarde [link] stp"),
        ("c'est sur monsite.com", "c'est sur [link]"),
        ("me llamo Ana y tengo dudas", "me llamo [name] y tengo dudas"),
        ("ismi Karim, 3andi so2al", "ismi [name], 3andi so2al"),
        ("je m'appelle Fatima Zahra", "je m'appelle [name]"),
        ("mon dossier 123456", "mon dossier [number]"),
    ],
)
def test_what_could_say_who_wrote_is_scrubbed_before_storing(text, scrubbed):
    assert scrub(text) == scrubbed


def question(text: str, intent: str = "out_of_scope", at: datetime = NOW) -> Unanswered:
    return Unanswered(at, "fr", intent, 0.1, text)


def test_alike_questions_are_grouped_the_largest_group_first_with_the_guessed_intent():
    groups = grouped([
        question("où acheter des seringues", "drugs.support"),
        question("ou acheter seringue", "drugs.support"),
        question("quel temps fait il"),
        question("où acheter des seringues svp", "prevention.material"),
    ])
    assert [(group.count, group.guessed) for group in groups] == [(3, "drugs.support"), (1, "out_of_scope")]


@pytest.fixture
async def store(database_url: str):
    storage = Storage(connect(database_url))
    await upgrade(storage.engine)
    yield storage
    await storage.close()


async def keep(storage: Storage, *questions: Unanswered) -> None:
    async with storage.unit() as repo:
        user = (await repo.people.arrive("ABCD2345", "telegram", "1", NOW)).user
        for item in questions:
            await repo.unanswered.add(user, item)


async def test_questions_older_than_unanswered_days_are_erased_by_the_retention_job(store):
    await keep(store, question("old", at=NOW - timedelta(days=31)), question("recent", at=NOW - timedelta(days=29)))
    assert await erase_old_unanswered(store, 30, NOW) == 1
    async with store.unit() as repo:
        assert [q.text for q in await repo.unanswered.since(NOW - timedelta(days=365))] == ["recent"]


async def test_the_salts_of_buckets_that_are_over_are_forgotten_and_the_current_ones_kept(store):
    async with store.unit() as repo:
        for at in (NOW - timedelta(days=60), NOW):
            await repo.stats.record(at, "telegram", "fr", "greet", "meta", _visit(), UTC)
    assert await forget_old_salts(store, None, NOW) == 2  # January and P1: the quarter and the year go on
    async with store.unit() as repo:
        assert await repo.stats.forget_salts_before(NOW, UTC) == 0


def _visit():
    from bot.storage.statistics import Visit

    return Visit("ABCD2345", first_contact=False)


def test_the_faq_unanswered_command_prints_the_groups_and_never_more_than_the_scrubbed_text(tmp_path: Path, monkeypatch, capsys):
    from bot.cli import main

    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"

    async def seed() -> None:
        storage = Storage(connect(url))
        await upgrade(storage.engine)
        await keep(storage, *(question(scrub(f"je m'appelle Lina, où trouver des seringues {n}"), "drugs.support", datetime.now(UTC)) for n in range(3)))
        await storage.close()

    asyncio.run(seed())
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["faq", "unanswered"]) == 0
    out = capsys.readouterr().out
    assert "3 ×  guessed intent: drugs.support" in out and "Lina" not in out
