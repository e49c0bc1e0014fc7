"""Delivering what is not an immediate reply: staff replies, relays to the staff topic, notices.

Everything goes through the outbox table first, so a restart, a platform outage or a closed
WhatsApp window loses nothing. Every bot process runs a worker; each claims its own rows.
Network calls happen outside database transactions.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from bot.languages import DEFAULT
from bot.messages import Delivered, DeliveryResult, OutsideWindow, PersonSender, RetryLater, Undeliverable, reply_from_body
from bot.outbox import STAFF, StaffRoom
from bot.storage import Storage
from bot.storage.journal import sending
from bot.storage.models import ERASE_WHEN_DONE, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_BACKOFF = 5.0
"""Seconds before the second try of a message the platform could not take; each later try waits
twice as long (or what the platform asked, if longer): the eight tries span some eleven minutes,
so a platform or a bridge away for minutes loses nothing, and one that is back is not hammered."""


def backoff(attempts: int, asked: float) -> float:
    """The wait before the next try, after `attempts` failed ones."""
    return max(asked, FIRST_BACKOFF * 2**attempts)
LEASE = timedelta(seconds=60)
BATCH = 20
TOPIC_NOT_OPEN_YET = 2.0


class Outbox:
    def __init__(
        self,
        storage: Storage,
        senders: Mapping[str, PersonSender],
        staff: StaffRoom | None,
        clock: Callable[[], datetime],
        on_undelivered: Callable[[OutboxMessage, str], Awaitable[None]] | None = None,
        wakeup: asyncio.Event | None = None,
    ):
        """`on_undelivered`: told (message, reason) when a message to a person is given up or held (the desk
        tells the topic); `wakeup`: set by whoever queued something (the desk, the inbox) for it to go at once."""
        self.storage = storage
        self.senders = dict(senders)
        self.staff = staff
        self.clock = clock
        self.on_undelivered = on_undelivered
        self._wake = wakeup or asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Finish the message in hand, then return from run(): cancelling in the middle of
        opening a staff topic would open it a second time after the restart."""
        self._stopping = True
        self._wake.set()

    async def run(self, poll_seconds: float = 1.0) -> None:
        while not self._stopping:
            try:
                delivered = await self.deliver_due()
            except Exception as error:  # the database may be restarting: try again shortly
                log.warning("Outbox pass failed (%s); retrying.", type(error).__name__)
                delivered = 0
            if delivered or self._stopping:
                continue
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), poll_seconds)
            except TimeoutError:
                pass

    async def deliver_due(self) -> int:
        """One pass: claim what is due and deliver it. Returns how many rows were handled."""
        now = self.clock()
        async with self.storage.unit() as repo:
            rows = await repo.outbox.claim_due(self.storage.owner, now, BATCH, LEASE)
        for index, row in enumerate(rows):
            if self._stopping:
                await self._release(rows[index:])
                break
            await self._deliver(row)
        return len(rows)

    async def _release(self, rows: list[OutboxMessage]) -> None:
        """Rows claimed but not started go back at once, for the next process to take."""
        for row in rows:
            await self._finish(row, OutboxStatus.QUEUED, count_attempt=False)

    async def _deliver(self, row: OutboxMessage) -> None:
        if self.storage.journal.holds(row.id):  # sent by this process a moment ago, its deletion not yet committed
            await self._finish(row, OutboxStatus.SENT)
            return
        if row.channel == STAFF:
            await self._deliver_to_staff(row)
            return
        sender = self.senders.get(row.channel)
        if sender is None:
            await self._finish(row, OutboxStatus.FAILED, error="no_sender")
            return
        try:
            with sending(row.id):
                result: DeliveryResult = await sender.send(row.address, reply_from_body(row.body))
        except Exception as error:
            log.warning("Sending on %s failed with %s; will retry.", row.channel, type(error).__name__)
            result = RetryLater(30)
        await self._apply(row, result, sender)

    async def _apply(self, row: OutboxMessage, result: DeliveryResult, sender: PersonSender) -> None:
        match result:
            case Delivered(message_id=message_id):
                await self._sent(row, message_id)
            case RetryLater(seconds=seconds) if row.attempts + 1 < MAX_ATTEMPTS:
                await self._finish(row, OutboxStatus.QUEUED, retry_in=backoff(row.attempts, seconds))
            case RetryLater():
                await self._give_up(row, "retries")
            case OutsideWindow():
                async with self.storage.unit() as repo:
                    first = await repo.outbox.held_for(row.user_id) == 0 if row.user_id else False
                await self._finish(row, OutboxStatus.HELD, error="window")
                announced = await sender.announce_held(row.address, row.body.get("lang", DEFAULT)) if first else None
                await self._tell_staff(row, "window" if isinstance(announced, Undeliverable) else "held")
            case Undeliverable(reason=reason):
                await self._give_up(row, reason)

    async def failed_later(self, channel: str, platform_message_id: str, result: DeliveryResult) -> None:
        """The platform reported after the fact that a message it had taken failed (a WhatsApp status).

        Handled as if sending had just returned `result`: held when the 24-hour window had
        closed, sent again after a busy spell, or given up with a word to the staff.
        """
        async with self.storage.unit() as repo:
            row = await repo.outbox.by_platform_id(channel, platform_message_id)
        sender = self.senders.get(channel)
        if row is not None and row.status == "sent" and sender is not None:
            await self._apply(row, result, sender)

    async def _deliver_to_staff(self, row: OutboxMessage) -> None:
        if self.staff is None:
            await self._finish(row, OutboxStatus.FAILED, error="no_staff_room")
            return
        body = row.body
        thread: int | None
        try:
            if body["kind"] == "open_topic":
                thread = await self.staff.open_topic(body["title"])
                async with self.storage.unit() as repo:
                    request = await repo.handover.get(row.request_id) if row.request_id else None
                    if request is not None:
                        request.staff_thread_id = thread
                await self.staff.post(thread, body["text"])
            else:
                thread = int(row.address) if row.address else None
                if thread is None and row.request_id is not None:
                    async with self.storage.unit() as repo:
                        request = await repo.handover.get(row.request_id)
                        thread = request.staff_thread_id if request else None
                    if thread is None:
                        await self._finish(row, OutboxStatus.QUEUED, retry_in=TOPIC_NOT_OPEN_YET, count_attempt=False)
                        return
                await self.staff.post(thread, body["text"])
        except Exception as error:
            log.warning("Posting to the staff group failed with %s; will retry.", type(error).__name__)
            if row.attempts + 1 < MAX_ATTEMPTS:
                await self._finish(row, OutboxStatus.QUEUED, retry_in=backoff(row.attempts, 30))
            else:
                await self._finish(row, OutboxStatus.FAILED, error="staff_room")
            return
        await self._sent(row)

    async def _sent(self, row: OutboxMessage, platform_message_id: str | None = None) -> None:
        """In the sent journal until the database knows: a kill in between does not send it again
        (Telegram's requests are already there from the moment they left, bot/channels/telegram/http.py)."""
        self.storage.journal.record([row.id])
        await self._finish(row, OutboxStatus.SENT, platform_message_id=platform_message_id)
        self.storage.journal.settled([row.id])

    async def _give_up(self, row: OutboxMessage, reason: str) -> None:
        await self._finish(row, OutboxStatus.FAILED, error=reason)
        await self._tell_staff(row, reason)

    async def _tell_staff(self, row: OutboxMessage, reason: str) -> None:
        if self.on_undelivered is not None:
            await self.on_undelivered(row, reason)
            self.wake()

    async def _finish(
        self,
        row: OutboxMessage,
        status: str,
        retry_in: float = 0,
        error: str | None = None,
        count_attempt: bool = True,
        platform_message_id: str | None = None,
    ) -> None:
        now = self.clock()
        async with self.storage.unit() as repo:
            stored = await repo.outbox.get(row.id)
            if stored is None:  # erased meanwhile (/forget)
                return
            if status in ("sent", "failed") and stored.body.get(ERASE_WHEN_DONE):
                await repo.outbox.delete([stored.id])  # a reply to a person's message: its text is not kept
                return
            stored.status = status
            stored.attempts += 1 if count_attempt else 0
            stored.claimed_by = None
            stored.claimed_until = None
            stored.error = error
            if status == "sent":
                stored.sent_at = now
                stored.platform_message_id = platform_message_id
            if status == "queued":
                stored.due_at = now + timedelta(seconds=retry_in)
