"""The report for funders, checked against a seeded year: each figure is counted here from the seeded
facts (benchmarks/seed_year.py), independently of the queries and sums that make the report."""

import asyncio
import csv
import math
import statistics
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import pytest

import seed_year
from bot.reports.categories import CATEGORIES_FILE, Categories, known_intents, load_categories
from bot.reports.figures import Figures, read
from bot.reports.periods import Period, named
from bot.reports.tables import write_csv
from bot.settings import REPOSITORY
from bot.storage import Storage, connect, upgrade
from seed_year import ZONE, Person

P1 = named("2026-P1")


@pytest.fixture(scope="module")
def year() -> list[Person]:
    return seed_year.year(people=300, seed=7)


@pytest.fixture(scope="module")
def categories() -> Categories:
    return load_categories(CATEGORIES_FILE, known_intents(REPOSITORY / "faq"))


async def _seeded(url: str, year: list[Person]) -> Storage:
    storage = Storage(connect(url))
    await upgrade(storage.engine)
    await seed_year.write(storage, year)
    return storage


@pytest.fixture
async def seeded(database_url: str, year: list[Person]) -> AsyncIterator[Storage]:
    storage = await _seeded(database_url, year)
    yield storage
    await storage.close()


async def _seed(url: str, year: list[Person]) -> None:
    await (await _seeded(url, year)).close()


async def report(storage: Storage, categories: Categories, period: Period = P1) -> Figures:
    return await read(storage, period, categories, ZONE)


def within(at: datetime, period: Period) -> bool:
    return period.first <= at.astimezone(ZONE).date() < period.end


def messages_in(year: list[Person], period: Period = P1) -> list[tuple[Person, seed_year.Message]]:
    return [(person, message) for person in year for message in person.messages if within(message.at, period)]


def handovers_in(year: list[Person], period: Period = P1) -> list[seed_year.Handover]:
    return [handover for person in year for handover in person.handovers if within(handover.created_at, period)]


async def test_unique_people_new_and_returning_are_those_of_the_seeded_year(seeded, year, categories):
    summary = (await report(seeded, categories))["summary"].where()[0]
    present = {person.pseudonym for person, _ in messages_in(year)}
    new = {person.pseudonym for person, message in messages_in(year) if message.first}
    assert (summary["people"], summary["new"], summary["returning"]) == (len(present), len(new), len(present - new))


async def test_a_quarter_counts_a_person_of_two_of_its_months_once(seeded, year, categories):
    quarter = named("2026-Q1")
    summary = (await report(seeded, categories, quarter))["summary"].where()[0]
    assert summary["people"] == len({person.pseudonym for person, _ in messages_in(year, quarter)})


async def test_conversations_are_a_persons_days_and_messages_every_event(seeded, year, categories):
    summary = (await report(seeded, categories))["summary"].where()[0]
    days = {(person.pseudonym, message.at.astimezone(ZONE).date()) for person, message in messages_in(year)}
    assert (summary["conversations"], summary["messages"]) == (len(days), len(messages_in(year)))


async def test_a_conversation_is_handed_over_when_one_of_its_messages_went_to_the_team(seeded, year, categories):
    summary = (await report(seeded, categories))["summary"].where()[0]
    routes: dict[tuple[str, date], set[str]] = {}
    for person, message in messages_in(year):
        routes.setdefault((person.pseudonym, message.at.astimezone(ZONE).date()), set()).add(message.route)
    handed = sum(1 for day in routes.values() if day & {"handover", "relay"})
    answered = sum(1 for day in routes.values() if not day & {"handover", "relay"} and day & {"answer", "context"})
    assert (summary["handed_over"], summary["answered_by_bot"]) == (handed, answered)


async def test_the_fallback_rate_is_the_share_of_questions_not_understood(seeded, year, categories):
    summary = (await report(seeded, categories))["summary"].where()[0]
    questions = [message for _, message in messages_in(year) if message.route in ("answer", "context", "fallback", "handover")]
    fallback = [message for message in questions if message.route == "fallback"]
    assert summary["fallback_rate"] == round(100 * len(fallback) / len(questions), 1)


async def test_topics_count_each_categorys_questions_by_language_and_channel(seeded, year, categories):
    topics = (await report(seeded, categories))["topics"]
    drugs = [
        message for person, message in messages_in(year)
        if person.language == "es" and person.channel == "telegram" and message.route in ("answer", "context") and (message.intent or "").startswith("drugs.")
    ]
    assert topics.where(category="drugs", language="es", channel="telegram")[0]["messages"] == len(drugs)


async def test_handovers_by_reason_and_hours_include_those_of_people_who_used_forget(seeded, year, categories):
    handovers = (await report(seeded, categories))["handovers"]
    crisis_out_of_hours = [h for h in handovers_in(year) if h.reason == "crisis.violence" and not h.in_hours]
    counted = sum(row["handovers"] for row in handovers.where(reason="reason_crisis.violence", hours="out_of_hours"))
    assert counted == len(crisis_out_of_hours)
    assert any(person.forgets and person.handovers for person in year), "the seeded year should have a forgotten handover"
    assert sum(handovers.column("handovers")) == len(handovers_in(year))


async def test_the_waits_are_median_and_p90_minutes_to_the_first_staff_reply(seeded, year, categories):
    summary = (await report(seeded, categories))["summary"].where()[0]
    waits = sorted((h.first_reply_at - h.created_at).total_seconds() / 60 for h in handovers_in(year) if h.first_reply_at)
    assert summary["median_wait_minutes"] == round(statistics.median(waits), 1)
    assert summary["p90_wait_minutes"] == round(waits[math.ceil(0.9 * len(waits)) - 1], 1)


async def test_each_campaign_counts_the_people_it_brought_who_asked_and_who_were_handed_over(seeded, year, categories):
    sources = (await report(seeded, categories))["sources"]
    came = [person for person in year if person.source == "outreach-van" and any(m.first and within(m.at, P1) for m in person.messages)]
    asked = [p for p in came if any(within(m.at, P1) and m.route in ("answer", "context", "fallback", "handover") for m in p.messages)]
    handed = [p for p in came if any(within(m.at, P1) and m.route in ("handover", "relay") for m in p.messages)]
    assert sources.where(source="outreach-van")[0] | {"source": None} == {"source": None, "arrived": len(came), "asked": len(asked), "handed_over": len(handed)}


async def test_outcomes_count_how_closed_handovers_ended(seeded, year, categories):
    outcomes = (await report(seeded, categories))["outcomes"]
    assert outcomes.where(outcome="referred")[0]["handovers"] == sum(1 for h in handovers_in(year) if h.outcome == "referred")


async def test_forget_changes_no_figure(seeded, year, categories):
    before = await report(seeded, categories)
    handed = next(person for person in year if person.handovers and not person.forgets and within(person.handovers[0].created_at, P1))
    async with seeded.unit() as repo:
        user = await repo.people.get(handed.pseudonym)
        await repo.people.forget(user)
    after = await report(seeded, categories)
    assert {name: table.rows for name, table in after.tables.items()} == {name: table.rows for name, table in before.tables.items()}


async def test_csv_files_are_utf8_one_per_table_with_stable_columns_and_small_counts_masked(seeded, categories, tmp_path: Path):
    figures = await report(seeded, categories)
    written = write_csv(figures, tmp_path, threshold=5)
    assert sorted(path.name for path in written) == sorted(f"2026-P1_{name}.csv" for name in figures.tables)
    with (tmp_path / "2026-P1_handovers.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == ["reason", "language", "channel", "hours", "handovers"]
    assert all(row["handovers"] == "<5" or int(row["handovers"]) >= 5 or row["handovers"] == "0" for row in rows)
    assert any(row["handovers"] == "<5" for row in rows)


async def test_no_report_table_holds_a_pseudonym_or_a_hash(seeded, year, categories):
    figures = await report(seeded, categories)
    cells = {str(cell) for table in figures.tables.values() for row in table.rows for cell in row}
    assert not cells & {person.pseudonym for person in year}
    assert not any(len(cell) == 16 and all(c in "0123456789abcdef" for c in cell) for cell in cells)


@pytest.mark.parametrize(
    ("lang", "title", "ylabel", "legend"),
    [("fr", "Contacts et conversations dans le temps", "Nombre", "Personnes"), ("en", "Contacts and conversations over time", "Count", "People")],
)
async def test_charts_have_titles_axes_and_legends_in_the_reports_language(seeded, categories, lang, title, ylabel, legend):
    from bot.reports.charts import contacts_over_time

    figure = contacts_over_time(await report(seeded, categories), categories, lang, 5)
    axes = figure.axes[0]
    assert (axes.get_title(), axes.get_ylabel()) == (title, ylabel)
    assert legend in [text.get_text() for text in axes.get_legend().get_texts()]


async def test_every_chart_is_a_png_that_opens_and_the_pdf_holds_them_all(seeded, categories, tmp_path: Path):
    from matplotlib.image import imread

    from bot.reports.charts import CHARTS, write_charts

    written = write_charts(await report(seeded, categories), categories, tmp_path, "fr", 5)
    pngs = [path for path in written if path.suffix == ".png"]
    assert len(pngs) == len(CHARTS) and all(imread(path).shape[0] > 100 for path in pngs)
    pdf = written[-1].read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") > len(CHARTS)  # a page per chart, and the list of pages


def test_the_report_command_prints_the_tables_and_writes_csv_and_charts(year, tmp_path: Path, monkeypatch, capsys):
    """Run as a team member runs it (its own event loop), on SQLite."""
    from bot.cli import main

    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    asyncio.run(_seed(url, year))
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["report", "--period", "2026-P1", "--lang", "en", "--csv", str(tmp_path / "csv"), "--charts", str(tmp_path / "charts")]) == 0
    out = capsys.readouterr().out
    assert "Online permanence report — Period 2026-P1" in out and "Sexual health" in out
    assert len(list((tmp_path / "csv").glob("*.csv"))) == 8 and list((tmp_path / "charts").glob("*.pdf"))
