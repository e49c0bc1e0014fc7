"""`outreach-bot handover`: the permanence's schedule and the conversations waiting for the team."""

import argparse
import asyncio
from dataclasses import dataclass

from bot.errors import ScheduleInvalid
from bot.settings import Settings


def schedule(settings: Settings, _args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from handover.schedule import describe, load_schedule

    try:
        schedule = load_schedule(settings.schedule_file)
    except ScheduleInvalid as error:
        for problem in error.problems:
            print(problem)
        return 1
    now = datetime.now(UTC)
    current = schedule.current(now)
    if current:
        print(f"The permanence is open now, until {current.end:%H:%M} ({schedule.timezone.key}).")
    else:
        print("The permanence is closed now.")
    print("Next openings:")
    for opening in schedule.next_openings(now, count=5):
        print(f"  {describe(opening.start, 'en', schedule.timezone)} – {opening.end:%H:%M}")
    return 0


COLUMNS = f"{'pseudonym':<10} {'lang':<4} {'reason':<22} {'priority':<12} {'state':<8} {'asked':<12} staff topic"
LEGEND = """\
priority     crisis (10) first, then urgent (5: PEP or emergency contraception, where hours
             count), then normal (0); the same priority in the order they came
state        waiting: nobody took it yet; active: a staff member has it
staff topic  none yet: the conversation has no topic in the staff group yet. The running
             bot (outreach-bot run, with STAFF_CHAT_ID set) opens it; until then, or
             without a staff group, it is only in the database and in this list. A
             conversation from outreach-bot chat never gets one."""


@dataclass(frozen=True)
class Waiting:
    """One line of the queue, as staff may see it: a pseudonym, never a name, a number or a text."""

    pseudonym: str
    language: str
    reason: str
    priority: int
    state: str
    minutes: int
    has_topic: bool


def queue(settings: Settings, _args: argparse.Namespace) -> int:
    """Pseudonyms only, as in the staff group: this may be read over someone's shoulder."""
    print(render_queue(asyncio.run(_open_handovers(settings))))
    return 0


def render_queue(waiting: list[Waiting]) -> str:
    """A header and a legend, because the numbers and words of the columns mean nothing on their own."""
    if not waiting:
        return "Nobody is waiting."
    lines = [
        f"{w.pseudonym:<10} {w.language:<4} {w.reason:<22} {f'{_priority_word(w.priority)} ({w.priority})':<12} "
        f"{w.state:<8} {f'{w.minutes} min ago':<12} {'open' if w.has_topic else 'none yet'}"
        for w in waiting
    ]
    return "\n".join([COLUMNS, *lines, "", LEGEND])


def _priority_word(priority: int) -> str:
    """The staff group's words for it (handover/desk.py), from the queue's rules (handover/queue.py)."""
    from handover.queue import PRIORITY_CRISIS, PRIORITY_URGENT

    if priority >= PRIORITY_CRISIS:
        return "crisis"
    return "urgent" if priority >= PRIORITY_URGENT else "normal"


async def _open_handovers(settings: Settings) -> list[Waiting]:
    from datetime import UTC, datetime

    from bot.storage import Storage, connect, upgrade

    storage = Storage(connect(settings.database_url))
    try:
        await upgrade(storage.engine)
        async with storage.unit() as repo:
            waiting = []
            for request in await repo.handover.open_all():
                user = await repo.people.by_id(request.user_id)
                waited = datetime.now(UTC) - request.created_at.replace(tzinfo=request.created_at.tzinfo or UTC)
                pseudonym, language = (user.pseudonym, user.language or "?") if user else ("?", "?")
                minutes = int(waited.total_seconds() // 60)
                waiting.append(Waiting(pseudonym, language, request.reason, request.priority, request.status, minutes, request.staff_thread_id is not None))
            return waiting
    finally:
        await storage.close()
