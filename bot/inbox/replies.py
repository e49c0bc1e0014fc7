"""Sending the replies of a message from the inbox, which are already in the outbox.

Each reply is deleted from the outbox as soon as the platform took it, so that a crash right
after sends again at most the reply that was going out. One the platform cannot take now goes
to the outbox's own worker, with what follows it; one it refuses for good is dropped.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.messages import Delivered, DeliveryResult, OutsideWindow, PersonSender, RetryLater, StoredReply, Undeliverable
from bot.storage import Storage
from bot.storage.database import error_name

log = logging.getLogger(__name__)

REPLY_LEASE = timedelta(seconds=60)
"""How long the replies stay reserved for the process that handled the message. Longer than
sending them can take (Telegram's rate limit queues them in a burst); if that process dies, the
outbox sends them once it has run out (on SQLite at once, at the next start)."""


async def deliver_stored(storage: Storage, sender: PersonSender, address: str, stored: list[StoredReply], clock_now: Callable[[], datetime]) -> None:
    """In order; never raises (the message is handled: what goes wrong now is the outbox's to retry)."""
    for index, item in enumerate(stored):
        try:
            result: DeliveryResult = await sender.send(address, item.reply)
        except Exception as error:
            log.warning("Sending a reply failed (%s); the outbox will try again.", error_name(error))
            result = RetryLater(5)
        rest = [later.outbox_id for later in stored[index:]]
        try:
            match result:
                case Delivered():
                    await storage.transaction(lambda repo, done=item.outbox_id: repo.delete_outbox([done]))
                case Undeliverable(reason=reason):
                    log.info("A reply was not delivered (%s).", reason)
                    await storage.transaction(lambda repo: repo.delete_outbox(rest))
                    return
                case RetryLater(seconds=seconds):
                    await storage.transaction(lambda repo: repo.release_outbox(rest, clock_now() + timedelta(seconds=seconds)))
                    return
                case OutsideWindow():
                    await storage.transaction(lambda repo: repo.release_outbox(rest, clock_now()))
                    return
        except Exception as error:  # the database is away: the claim runs out and the outbox takes over
            log.warning("A sent reply could not be noted (%s).", error_name(error))
            return
