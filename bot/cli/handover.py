"""`outreach-bot handover`: the permanence's schedule and the conversations waiting for the team."""

import argparse
import asyncio

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


def queue(settings: Settings, _args: argparse.Namespace) -> int:
    """Pseudonyms only, as in the staff group: this may be read over someone's shoulder."""
    from datetime import UTC, datetime

    from bot.storage import Storage, connect, upgrade

    async def run() -> list[str]:
        storage = Storage(connect(settings.database_url))
        try:
            await upgrade(storage.engine)
            async with storage.unit() as repo:
                lines = []
                for request in await repo.handover.open_all():
                    user = await repo.people.by_id(request.user_id)
                    waited = datetime.now(UTC) - request.created_at.replace(tzinfo=request.created_at.tzinfo or UTC)
                    pseudonym, language = (user.pseudonym, user.language or "?") if user else ("?", "?")
                    lines.append(
                        f"{pseudonym:<10} {language:<3} {request.reason:<22} "
                        f"priority {request.priority:<3} {request.status:<8} {int(waited.total_seconds() // 60)} min"
                        f"{'' if request.staff_thread_id else '  (no staff topic yet)'}"
                    )
                return lines
        finally:
            await storage.close()

    lines = asyncio.run(run())
    print("\n".join(lines) if lines else "Nobody is waiting.")
    return 0
