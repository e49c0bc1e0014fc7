"""What the bot does by itself, on a clock: permanence announcements, erasing old text (handovers, unanswered
questions), forgetting old delivery ids and the salts of reporting buckets that are over."""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.storage import Storage
from handover.desk import Desk
from handover.schedule import Schedule

log = logging.getLogger(__name__)

ANNOUNCE_OPENING_WITHIN = timedelta(minutes=30)
"""A bot started late in a permanence still posts the queue, once."""
REMIND_BEFORE_END = timedelta(minutes=15)
REMEMBER_DELIVERIES = timedelta(days=8)
"""Telegram keeps an undelivered update for 24 hours, Meta repeats a webhook call for up to 7
days: a delivery id is remembered a day longer than the longest of them."""
EVERY = 60.0


async def announce_permanence(desk: Desk, storage: Storage, schedule: Schedule, now: datetime) -> None:
    """At the start of a permanence, the waiting queue; near its end, what is still open.

    Every bot process runs this; the announcements table lets only the first one post.
    """
    current = schedule.current(now)
    if current is None:
        return
    t = desk.t
    async with storage.unit() as repo:
        if now - current.start <= ANNOUNCE_OPENING_WITHIN and await repo.handover.announce_once("opening", current.start):
            await desk.post_queue(repo, t.gettext("The permanence is open until {end}. Conversations waiting:", end=current.end.strftime("%H:%M")))
        if current.end - now <= REMIND_BEFORE_END and await repo.handover.announce_once("closing", current.end):
            await desk.post_queue(repo, t.gettext("The permanence ends at {end}. Still open:", end=current.end.strftime("%H:%M")))
    desk.wake()


async def erase_old_text(storage: Storage, retention_days: int, now: datetime) -> int:
    async with storage.unit() as repo:
        return await repo.handover.erase_closed_before(now - timedelta(days=retention_days))


async def erase_old_unanswered(storage: Storage, unanswered_days: int, now: datetime) -> int:
    """The questions kept for the FAQ editors (bot/engine/unanswered.py), UNANSWERED_DAYS at most."""
    async with storage.unit() as repo:
        return await repo.unanswered.erase_before(now - timedelta(days=unanswered_days))


async def forget_old_salts(storage: Storage, schedule: Schedule | None, now: datetime) -> int:
    """Once a month, a period, a quarter or a year is over, its people's hashes can no longer be matched to anyone
    (bot/storage/statistics.py); in the permanence's timezone, where the engine's buckets begin."""
    async with storage.unit() as repo:
        return await repo.stats.forget_salts_before(now, schedule.timezone if schedule is not None else UTC)


async def forget_old_deliveries(storage: Storage, now: datetime) -> int:
    """Delivery ids, and the bare inbox rows of updates handled or set aside (their text went when they were)."""
    async with storage.unit() as repo:
        return await repo.forget_seen_updates(now - REMEMBER_DELIVERIES) + await repo.inbox.forget_handled(now - REMEMBER_DELIVERIES)


async def run(
    desk: Desk, storage: Storage, schedule: Schedule | None, retention_days: int, clock: Callable[[], datetime], unanswered_days: int = 30
) -> None:
    while True:
        try:
            if schedule is not None:
                await announce_permanence(desk, storage, schedule, clock())
            erased = await erase_old_text(storage, retention_days, clock())
            if erased:
                log.info("Erased the text of %d closed handovers (retention %d days).", erased, retention_days)
            await erase_old_unanswered(storage, unanswered_days, clock())
            await forget_old_salts(storage, schedule, clock())
            await forget_old_deliveries(storage, clock())
        except Exception as error:  # the database may be restarting: the next round tries again
            log.warning("A scheduled job failed (%s); trying again in a minute.", type(error).__name__)
        await asyncio.sleep(EVERY)
