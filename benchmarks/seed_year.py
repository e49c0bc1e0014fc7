"""A realistic year of the permanence, for the report's benchmark and tests.

    .venv/bin/python benchmarks/seed_year.py --database-url sqlite:///year.sqlite3 [--people 3000] [--seed 2026]

Thousands of people over a calendar year, on Telegram and WhatsApp, in French, Spanish, Arabic
and English, some arriving through campaigns, most asking questions, some handed to the team
(crises, explicit requests, personal situations), with waits for the first staff reply and
outcomes; a few use /forget. `year()` makes the facts (plain data, deterministic for a seed);
`write()` stores them through the bot's own storage API (statistics, people, handovers), so the
tests can count the facts on one side and compare with the report on the other.
"""

import argparse
import asyncio
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from bot.settings import Settings
from bot.storage import Storage, connect, upgrade
from bot.storage.statistics import Visit
from handover.queue import REASON_ASKED

ZONE = ZoneInfo("Europe/Brussels")
SOURCES = ("flyer-gare-du-nord", "instagram-spring", "outreach-van")
LANGUAGES = (("fr", 40), ("es", 25), ("ar", 25), ("en", 10))
CHANNELS = (("telegram", 55), ("whatsapp", 45))
ANSWERS = (
    "prep.info", "prep.access", "pep.urgent", "screening.offer", "screening.results", "sti.symptoms", "hiv.treatment",
    "contraception.emergency", "trans.health", "healthcare.access", "prevention.material", "access.location", "access.hours",
    "access.conditions", "services.overview", "vaccination.covid", "vaccination.other", "drugs.ghb", "drugs.crystal",
    "drugs.support", "work.safety", "work.rights", "work.status", "social.papers", "social.housing", "social.basic_needs",
)
HANDOVERS = (("human.request", 50), ("crisis.violence", 15), ("crisis.medical", 8), ("crisis.self_harm", 5), ("social.papers", 22))
"""The intent that hands a conversation over; a non-crisis one other than human.request is a personal situation."""
OUTCOMES = ("information", "referred", "appointment", "crisis_handled", "no_answer")


@dataclass(frozen=True)
class Message:
    at: datetime
    language: str
    intent: str | None
    route: str
    first: bool
    in_hours: bool


@dataclass(frozen=True)
class Handover:
    created_at: datetime
    reason: str
    in_hours: bool
    first_reply_at: datetime | None
    outcome: str | None


@dataclass
class Person:
    pseudonym: str
    channel: str
    language: str
    source: str | None
    forgets: bool
    messages: list[Message] = field(default_factory=list)
    handovers: list[Handover] = field(default_factory=list)


def in_hours(at: datetime) -> bool:
    """The seeded permanence: Monday to Friday, 14:00 to 18:00 in Brussels."""
    local = at.astimezone(ZONE)
    return local.weekday() < 5 and 14 <= local.hour < 18


def year(people: int = 3000, seed: int = 2026, of: int = 2026) -> list[Person]:
    draw = random.Random(seed)
    return [_person(draw, index, of) for index in range(people)]


def _pick(draw: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return draw.choices([name for name, _ in weighted], [weight for _, weight in weighted])[0]


def _person(draw: random.Random, index: int, of: int) -> Person:
    known_before = draw.random() < 0.35  # wrote in an earlier year: none of this year's messages is their first, no campaign
    person = Person(
        pseudonym=f"P{index:07d}", channel=_pick(draw, CHANNELS), language=_pick(draw, LANGUAGES),
        source=draw.choice(SOURCES) if not known_before and draw.random() < 0.4 else None, forgets=draw.random() < 0.03,
    )
    days = sorted({date(of, 1, 1) + timedelta(days=draw.randrange(365)) for _ in range(draw.choice((1, 1, 1, 2, 2, 3, 5)))})
    handed_over = False
    for day in days:
        moment = datetime.combine(day, time(draw.randrange(8, 23), draw.randrange(60)), ZONE).astimezone(UTC)
        for _ in range(draw.randint(1, 5)):
            moment += timedelta(minutes=draw.randint(1, 5))
            first = not person.messages and not known_before
            intent, route = _what(draw, first, handed_over)
            person.messages.append(Message(moment, person.language, intent, route, first, in_hours(moment)))
            if route == "handover":
                handed_over = True
                person.handovers.append(_handover(draw, moment, intent or ""))
    return person


def _what(draw: random.Random, first: bool, handed_over: bool) -> tuple[str | None, str]:
    if first or draw.random() < 0.1:
        return "greet", "meta"
    roll = draw.random()
    if roll < 0.62:
        return draw.choice(ANSWERS), "answer"
    if roll < 0.74:
        return "out_of_scope", "fallback"
    if roll < 0.84:
        return draw.choice(("thanks", "greet", "bot.identity")), "meta"
    if roll < 0.9:
        return draw.choice(ANSWERS), "context"
    if handed_over:
        return None, "relay"
    return _pick(draw, HANDOVERS), "handover"


def _handover(draw: random.Random, at: datetime, intent: str) -> Handover:
    hours = in_hours(at)
    replied = draw.random() < 0.9
    wait = timedelta(minutes=draw.uniform(2, 60) if hours else draw.uniform(60, 900))
    return Handover(
        created_at=at, reason=REASON_ASKED if intent == "human.request" else intent, in_hours=hours,
        first_reply_at=at + wait if replied else None, outcome=draw.choice(OUTCOMES) if replied and draw.random() < 0.8 else None,
    )


async def write(storage: Storage, people: list[Person], zone: tzinfo = ZONE) -> None:
    """Through the storage API the bot uses: statistics as the engine records them, handovers as the engine and the desk make them."""
    for start in range(0, len(people), 200):
        async with storage.unit() as repo:
            for person in people[start : start + 200]:
                for message in person.messages:
                    visit = Visit(person.pseudonym, message.first, message.in_hours, person.source)
                    await repo.stats.record(message.at, person.channel, message.language, message.intent, message.route, visit, zone)
                if not person.handovers and not person.forgets:
                    continue
                user = (await repo.people.arrive(person.pseudonym, person.channel, f"chat-{person.pseudonym}", person.messages[0].at)).user
                user.language = person.language
                for handover in person.handovers:
                    request = await repo.handover.add_request(user, handover.reason, 0, None, handover.created_at, handover.in_hours)
                    if handover.first_reply_at is not None:
                        await repo.handover.claim(request, "Sam", handover.first_reply_at)
                        await repo.handover.add_message(request, "staff", None, handover.first_reply_at, "Sam")
                        await repo.handover.close(request, handover.first_reply_at + timedelta(minutes=20), handover.outcome)
                if person.forgets:
                    await repo.session.flush()
                    await repo.people.forget(user)


async def _main(url: str, count: int, seed: int) -> None:
    storage = Storage(connect(url))
    try:
        await upgrade(storage.engine)
        people = year(count, seed)
        await write(storage, people)
        print(f"{count} people, {sum(len(p.messages) for p in people)} messages, {sum(len(p.handovers) for p in people)} handovers written.")
    finally:
        await storage.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="sqlite:///file or postgresql://...")
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2026)
    options = parser.parse_args()
    asyncio.run(_main(Settings(database_url=options.database_url).database_url, options.people, options.seed))
