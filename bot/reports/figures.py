"""The report's figures: sums over the period's events and handovers, as tables of raw numbers.

Definitions, the same in every table:
- a person is one hash of the period's bucket (bot/storage/statistics.py); new if one of their
  messages in the period was their first ever;
- a conversation is one person's messages on one day (in the permanence's timezone); it was
  handed over if one of them went to the team (a request, or a message relayed to staff),
  answered by the bot if not and one of them got an answer;
- the fallback rate is the share of questions (messages read for their meaning) not understood;
- a wait runs from the request to the first message a staff member wrote to the person.
Masking small numbers is for the tables' output (tables.py), never here: tests check these.
"""

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from bot.reports.categories import Categories
from bot.reports.periods import Period
from bot.storage import Storage
from bot.storage.reports import EventRow, HandoverRow
from handover.queue import REASON_ASKED
from nlu.intents import Route

QUESTIONS = frozenset({Route.ANSWER, Route.CONTEXT, Route.FALLBACK, Route.HANDOVER})
"""Messages read for their meaning: what the fallback rate and the topics are counted on."""
TO_THE_TEAM = frozenset({Route.HANDOVER, Route.RELAY})
ANSWERED = frozenset({Route.ANSWER, Route.CONTEXT})
IN_HOURS, OUT_OF_HOURS, UNKNOWN_HOURS = "in_hours", "out_of_hours", "unknown"
NO_OUTCOME = "outcome_none"
NO_SOURCE = "none"


@dataclass(frozen=True)
class Table:
    """One table of the report: `name` is its CSV file's, `columns` its stable English headings."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)
    counts: frozenset[str] = frozenset()
    """Columns counting people (or their handovers): a small number there is masked."""
    guarded: dict[str, str] = field(default_factory=dict)
    """A figure about few people (their messages, a median wait) and the count column that says how few."""

    def column(self, name: str) -> list:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def where(self, **values: object) -> list[dict]:
        """The rows whose columns have these values, as dicts (for tests and charts)."""
        found = [dict(zip(self.columns, row, strict=True)) for row in self.rows]
        return [row for row in found if all(row[key] == value for key, value in values.items())]


@dataclass(frozen=True)
class Figures:
    period: Period
    tables: dict[str, Table]

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]


def compute(period: Period, events: list[EventRow], handovers: list[HandoverRow], categories: Categories, zone: tzinfo) -> Figures:
    local = [(_local(event.at, zone), event) for event in events]
    tables = [
        _summary(period, local, handovers),
        _people(local),
        _topics(local, categories),
        _handovers(handovers),
        _waits(handovers),
        _outcomes(handovers),
        _sources(local),
        _timeline(period, local),
    ]
    return Figures(period, {table.name: table for table in tables})


def _local(at: datetime, zone: tzinfo) -> datetime:
    """SQLite gives back naive UTC times."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(zone)


Local = list[tuple[datetime, EventRow]]


def _people_of(local: Local) -> set[str]:
    return {event.person for _, event in local if event.person}


def _new_of(local: Local) -> set[str]:
    return {event.person for _, event in local if event.person and event.first_contact}


def _conversations(local: Local) -> dict[tuple[str, date], set[str]]:
    """Each conversation (a person's day) and the routes its messages took."""
    days: dict[tuple[str, date], set[str]] = defaultdict(set)
    for at, event in local:
        if event.person:
            days[(event.person, at.date())].add(event.route)
    return days


def _summary(period: Period, local: Local, handovers: list[HandoverRow]) -> Table:
    people, new = _people_of(local), _new_of(local)
    conversations = _conversations(local)
    handed = sum(1 for routes in conversations.values() if routes & TO_THE_TEAM)
    answered = sum(1 for routes in conversations.values() if not routes & TO_THE_TEAM and routes & ANSWERED)
    questions = [event for _, event in local if event.route in QUESTIONS]
    fallback = sum(1 for event in questions if event.route == Route.FALLBACK)
    waits = _waits_of(handovers)
    columns = (
        "period", "people", "new", "returning", "conversations", "messages", "answered_by_bot", "handed_over",
        "fallback_rate", "handovers", "replied", "median_wait_minutes", "p90_wait_minutes",
    )
    row = (
        period.name, len(people), len(new), len(people - new), len(conversations), len(local), answered, handed,
        round(100 * fallback / len(questions), 1) if questions else 0.0, len(handovers), len(waits), _median(waits), _p90(waits),
    )
    counts = frozenset({"people", "new", "returning", "conversations", "answered_by_bot", "handed_over", "handovers", "replied"})
    return Table("summary", columns, [row], counts, {"median_wait_minutes": "replied", "p90_wait_minutes": "replied"})


def _people(local: Local) -> Table:
    """Language × channel: a person who wrote in two languages counts in both."""
    groups = _grouped(local, lambda event: (event.language or "?", event.channel))
    rows = [
        (language, channel, len(_people_of(part)), len(_new_of(part)), len(_conversations(part)), len(part))
        for (language, channel), part in sorted(groups.items())
    ]
    columns = ("language", "channel", "people", "new", "conversations", "messages")
    return Table("people", columns, rows, frozenset({"people", "new", "conversations"}), {"messages": "people"})


def _topics(local: Local, categories: Categories) -> Table:
    questions = [(at, event) for at, event in local if event.route in QUESTIONS]
    groups = _grouped(questions, lambda event: (categories.of(event.intent), event.language or "?", event.channel))
    order = {name: index for index, name in enumerate(categories.labels)}
    rows = [
        (category, language, channel, len(part), len(_people_of(part)))
        for (category, language, channel), part in sorted(groups.items(), key=lambda item: (order.get(item[0][0], len(order)), item[0]))
    ]
    return Table("topics", ("category", "language", "channel", "messages", "people"), rows, frozenset({"people"}), {"messages": "people"})


def reason_group(reason: str) -> str:
    """Crises by kind; an explicit request; anything else the team took on is a personal situation."""
    if reason.startswith("crisis."):
        return f"reason_{reason}"
    return "reason_asked" if reason == REASON_ASKED else "reason_situation"


def hours_of(in_hours: bool | None) -> str:
    return UNKNOWN_HOURS if in_hours is None else IN_HOURS if in_hours else OUT_OF_HOURS


def _handovers(handovers: list[HandoverRow]) -> Table:
    counted = _count(handovers, lambda row: (reason_group(row.reason), row.language or "?", row.channel, hours_of(row.in_hours)))
    rows = [(*key, count) for key, count in sorted(counted.items())]
    return Table("handovers", ("reason", "language", "channel", "hours", "handovers"), rows, frozenset({"handovers"}))


def _waits(handovers: list[HandoverRow]) -> Table:
    rows = []
    for hours in (IN_HOURS, OUT_OF_HOURS, UNKNOWN_HOURS):
        part = [row for row in handovers if hours_of(row.in_hours) == hours]
        if part:
            waits = _waits_of(part)
            rows.append((hours, len(part), len(waits), _median(waits), _p90(waits)))
    columns = ("hours", "handovers", "replied", "median_wait_minutes", "p90_wait_minutes")
    return Table("waits", columns, rows, frozenset({"handovers", "replied"}), {"median_wait_minutes": "replied", "p90_wait_minutes": "replied"})


def _outcomes(handovers: list[HandoverRow]) -> Table:
    counted = _count(handovers, lambda row: row.outcome or NO_OUTCOME)
    return Table("outcomes", ("outcome", "handovers"), sorted(counted.items()), frozenset({"handovers"}))


def _sources(local: Local) -> Table:
    """Per campaign: the people who arrived through it in the period, asked a question, were handed to the team."""
    groups = _grouped(local, lambda event: event.source or NO_SOURCE)
    rows = []
    for source, part in sorted(groups.items()):
        arrived = _new_of(part)
        asked = {event.person for _, event in part if event.person in arrived and event.route in QUESTIONS}
        handed = {event.person for _, event in part if event.person in arrived and event.route in TO_THE_TEAM}
        rows.append((source, len(arrived), len(asked), len(handed)))
    return Table("sources", ("source", "arrived", "asked", "handed_over"), rows, frozenset({"arrived", "asked", "handed_over"}))


def _timeline(period: Period, local: Local) -> Table:
    """By week (Monday), or by day for a period of a month or less."""
    daily = period.days <= 31

    def start_of(at: datetime) -> date:
        return at.date() if daily else at.date() - timedelta(days=at.weekday())

    groups: dict[date, Local] = defaultdict(list)
    for at, event in local:
        groups[start_of(at)].append((at, event))
    rows = [(day.isoformat(), len(_people_of(part)), len(_conversations(part)), len(part)) for day, part in sorted(groups.items())]
    columns = ("day" if daily else "week", "people", "conversations", "messages")
    return Table("timeline", columns, rows, frozenset({"people", "conversations"}), {"messages": "people"})


def _grouped(local: Local, key: Callable[[EventRow], Hashable]) -> dict:
    groups: dict = defaultdict(list)
    for at, event in local:
        groups[key(event)].append((at, event))
    return groups


def _count(rows: Iterable[HandoverRow], key: Callable[[HandoverRow], Hashable]) -> dict:
    counted: dict = defaultdict(int)
    for row in rows:
        counted[key(row)] += 1
    return counted


def _waits_of(handovers: list[HandoverRow]) -> list[float]:
    return [
        (_local(row.first_reply_at, UTC) - _local(row.created_at, UTC)).total_seconds() / 60 for row in handovers if row.first_reply_at is not None
    ]


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _p90(values: list[float]) -> float | None:
    """Nearest rank: a wait that 90% of the replied requests did not exceed."""
    return round(sorted(values)[math.ceil(0.9 * len(values)) - 1], 1) if values else None


async def read(storage: Storage, period: Period, categories: Categories, zone: tzinfo) -> Figures:
    """The period's figures, from the database alone (one transaction, so every table counts the same rows)."""
    start, end = period.bounds(zone)
    async with storage.unit() as repo:
        events = await repo.reports.events(start, end, period.person_kind)
        handovers = await repo.reports.handovers(start, end)
    return compute(period, events, handovers, categories, zone)
