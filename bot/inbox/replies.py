"""Sending the replies of a message from the inbox, which are already in the outbox.

They go out in order, each written to the sent journal as soon as the platform took it and
deleted from the outbox a moment later (bot/storage/journal.py): a crash in between does not
send it again. What the platform cannot take now goes to the outbox's own worker, with what
follows it; what it refuses for good is dropped.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.engine import Engine
from bot.messages import Delivered, DeliveryResult, InboundMessage, OutsideWindow, PersonSender, RetryLater, StoredReply, Undeliverable
from bot.storage import Repository, Storage
from bot.storage.database import error_name
from bot.storage.journal import sending

log = logging.getLogger(__name__)

REPLY_LEASE = timedelta(seconds=60)
"""How long the replies stay reserved for the process that handled the message. Longer than
sending them can take (Telegram's rate limit queues them in a burst); if that process dies, the
outbox sends them once it has run out (on SQLite at once, at the next start)."""


async def answer_stored(engine: Engine, sender: PersonSender, message: InboundMessage) -> None:
    """A message from the inbox through the engine (its replies stored with the row marked done), then its replies sent."""
    stored = await engine.handle_stored(message, REPLY_LEASE)
    await deliver_stored(engine.storage, sender, message.address, stored, engine.clock)


async def deliver_stored(storage: Storage, sender: PersonSender, address: str, stored: list[StoredReply], clock: Callable[[], datetime]) -> None:
    """In order; never raises (the message is handled: what goes wrong now is the outbox's to retry)."""
    done: list[int] = []
    later: list[int] = []
    due = clock()
    for index, item in enumerate(stored):
        try:
            with sending(item.outbox_id):
                result: DeliveryResult = await sender.send(address, item.reply)
        except Exception as error:
            log.warning("Sending a reply failed (%s); the outbox will try again.", error_name(error))
            result = RetryLater(5)
        if isinstance(result, Delivered):
            storage.forget_sent([item.outbox_id])
            continue
        rest = [reply.outbox_id for reply in stored[index:]]
        if isinstance(result, Undeliverable):
            log.info("A reply was not delivered (%s).", result.reason)
            done += rest
        elif isinstance(result, (RetryLater, OutsideWindow)):
            later = rest
            due = clock() + timedelta(seconds=result.seconds if isinstance(result, RetryLater) else 0)
        break
    if not done and not later:
        return

    async def note(repo: Repository) -> None:
        if done:
            await repo.outbox.delete(done)
        if later:
            await repo.outbox.release(later, due)

    try:
        await storage.transaction(note)
    except Exception as error:  # the database is away: the claim runs out and the outbox takes over
        log.warning("Sent replies could not be noted (%s).", error_name(error))
