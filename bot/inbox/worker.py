"""The inbox's workers: pending rows handled, several people at once, one person's messages in order.

Every bot process runs one `InboxWorker`. It claims the rows it can take (the oldest pending row
of each person, none another process holds), hands each to its channel's `InboxHandler`, and
notes the outcome: done, tried again later with backoff, or set aside (`dead`) after MAX_TRIES
failures or at once when the update cannot be read. Setting a row aside erases its text, tells
the staff once that a message could not be read (not what it said), and apologises to the person
when the channel knows where they are; their later messages then flow.

Logs name the channel, the error's class and where it was raised: never its message, which can
quote the text of the update.
"""

import asyncio
import logging
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.errors import Unreadable
from bot.i18n import Catalogs
from bot.inbox.replies import REPLY_LEASE, deliver_stored
from bot.inbox.turns import Turns
from bot.languages import DEFAULT
from bot.messages import PersonSender, Reply, StoredReply, reply_from_body, reply_to_body
from bot.outbox import STAFF
from bot.storage import Repository, Storage
from bot.storage.database import error_name, transient
from bot.storage.inbox_queries import Claimed
from bot.storage.models import ERASE_WHEN_DONE
from bot.storage.presence import ABSENT_FOR

log = logging.getLogger(__name__)

MAX_TRIES = 5
"""Failed handlings before a row is set aside. With the backoff below, some 15 s in all, during
which the person's later messages wait behind it: long enough for a passing fault, short enough
that a message that always fails does not hold them up for long."""
FIRST_RETRY_AFTER = 1.0
LONGEST_RETRY_AFTER = 60.0
LEASE = timedelta(seconds=30)
"""How long a claimed row is this process's. The row is marked done in the transaction that
handles it, so a second process that takes it after the lease ran out finds it done and does
nothing; a killed process's rows are taken again after this (on SQLite at once, at the next start)."""
CONCURRENCY = 64
"""Rows handled at once on PostgreSQL: as PTB's updates were, inside the database pool and Telegram's connection limits."""
SQLITE_CONCURRENCY = 8
"""On SQLite, whose one connection every transaction waits for in turn: more rows in hand only lengthen
that queue, and the event loop's turns with it."""
POLL_SECONDS = 1.0
"""How often the worker looks for rows it was not woken for: other processes', retries coming due,
and (PostgreSQL) for the claims of processes that died (bot/storage/presence.py)."""


class InboxHandler(PersonSender, Protocol):
    """A channel's side of the inbox (bot/channels/base.py, Channel); its `send` takes the replies a killed process left unsent."""

    async def handle(self, item: Claimed) -> bool:
        """Handles the row's payload; True when the row was marked done in the handling's own transaction
        (the engine does, with the replies); False: the worker marks it done. Raises Unreadable, or anything
        else for a failure to try again."""
        ...

    def apology_to(self, payload: dict[str, Any]) -> str | None:
        """Where to tell the person that their message could not be handled, if the payload says."""
        ...


@dataclass
class InboxWorker:
    storage: Storage
    handlers: Mapping[str, InboxHandler]
    catalogs: Catalogs
    clock: Callable[[], datetime]
    staff_language: str = DEFAULT
    tell_staff: bool = False
    """A staff group is set up: it is told of each message set aside."""
    on_queued: Callable[[], None] = lambda: None
    """Wakes the outbox when a notice was queued."""
    concurrency: int = CONCURRENCY

    def __post_init__(self) -> None:
        self._wake = asyncio.Event()
        self._stopping = False
        self._ready = False
        """Nothing is claimed until what a previous run left is taken back: its replies go first."""
        self._absent_since: dict[str, float] = {}
        """PostgreSQL: the processes whose claims stand without their lock, since when (monotonic seconds)."""
        self._next_look = 0.0
        self._in_hand: dict[int, asyncio.Task] = {}
        self._unclaimed: set[int] = set()
        """Rows this process stored and could not claim yet (their sender had one in hand): a finished row wakes the claiming."""
        self._turns = Turns()
        """A row is done when its replies are stored, before they are sent: the sender's next row, which can then
        be claimed, waits here until they are, so that the person reads the replies in order."""

    async def store(self, items: list[dict[str, Any]]) -> int:
        """Stores incoming updates (channel, delivery_id, sender_key, payload), committed when this returns; a
        repeated delivery is stored once. The channel acknowledges them only after this: it raises if the
        database stays away (after Storage.transaction's retries), and then nothing is acknowledged.

        The same transaction claims what this process has room for, the new rows first in line:
        one transaction an update, not two, on the way in.
        """
        free = self.concurrency - len(self._in_hand) if self._ready and not self._stopping else 0
        channels = list(self.handlers)

        async def store_and_claim(repo: Repository) -> tuple[list[int], list[Claimed]]:
            now = self.clock()
            stored = await repo.inbox.store(items, now)
            claimed = await repo.inbox.claim(self.storage.owner, channels, now, free, LEASE) if stored and free > 0 else []
            return stored, claimed

        stored, claimed = await self.storage.transaction(store_and_claim)
        self._unclaimed.update(set(stored) - {item.id for item in claimed})
        self._start(claimed)
        if self._unclaimed:
            self._wake.set()
        return len(stored)

    def wake(self) -> None:
        """Something was stored, or a row was finished: look for work now."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Until stop(); then the rows in hand are finished (`drain`)."""
        shared = self.storage.presence.needed
        await self._take_over_the_dead(at_start=True)
        self._ready = True
        while not self._stopping:
            self._wake.clear()
            if shared and time.monotonic() >= self._next_look:
                await self._take_over_the_dead(at_start=False)
            free = self.concurrency - len(self._in_hand)
            if free > 0:
                claimed = await self._claim(free)
                self._start(claimed)
                if len(claimed) < free and not self._in_hand:
                    self._unclaimed.clear()  # none waits behind a row of ours: another process's, or due later (polled)
            if self._stopping:
                break
            try:
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            except TimeoutError:
                pass
        await self.drain()

    def _start(self, claimed: list[Claimed]) -> None:
        for item in claimed:
            self._unclaimed.discard(item.id)
            self._in_hand[item.id] = asyncio.create_task(self._one(item))

    async def drain(self) -> None:
        while self._in_hand:
            await asyncio.gather(*self._in_hand.values(), return_exceptions=True)

    async def _take_over_the_dead(self, at_start: bool) -> None:
        """The claims of processes seen without their lock for ABSENT_FOR are free again, their replies sent
        (bot/storage/presence.py; on SQLite, at start, every claim is a killed previous run's). At start,
        nothing is claimed before: a killed run's replies go first."""
        self._next_look = time.monotonic() + POLL_SECONDS
        absent = await self._look_for_absent_owners(at_start)
        if absent is None:
            return
        now = time.monotonic()
        dead = {owner for owner, since in self._absent_since.items() if now - since >= ABSENT_FOR}
        if dead:
            try:
                inbox, outbox = await self.storage.transaction(lambda repo: repo.release_claims_of(dead))
            except Exception as error:
                log.warning("The claims of stopped processes could not be released (%s); trying again.", error_name(error))
                return
            log.info("Taken back from %d stopped process(es): %d incoming update(s), %d reply(ies) to send.", len(dead), inbox, outbox)
            self.on_queued()
        if dead or at_start:
            await self._send_leftover_replies(of=dead)
        for owner in dead:
            del self._absent_since[owner]

    async def _look_for_absent_owners(self, at_start: bool) -> set[str] | None:
        """The processes whose claims stand without their lock (this one's lock kept first); None while the database is away.

        Running, this process has seen when each went absent. At start it has not: an owner absent then is
        taken to have been so since the server started, which is at most what a live process needs to take
        its lock again. So a run killed a while ago is judged at once, and one whose server has just
        restarted (with its other processes taking their locks back) after ABSENT_FOR."""
        if not await self.storage.presence.keep():
            return None
        try:
            absent, server_up_for = await self.storage.transaction(lambda repo: repo.absent_owners(), retry_for=0 if self._ready else None)
        except Exception as error:
            log.warning("The claims of other processes could not be read (%s); trying again.", error_name(error))
            return None
        now = time.monotonic()
        first_seen = now - server_up_for if at_start else now
        self._absent_since = {owner: self._absent_since.get(owner, first_seen) for owner in absent}
        return absent

    async def _send_leftover_replies(self, of: set[str]) -> None:
        """Replies stored with their message's row done, but not sent when the process died: sent first, in order
        for each person, so that they come before the replies to the person's later messages.

        `of`: the processes found dead, whose replies are sent with those whose claim ran out."""
        try:
            rows = await self.storage.transaction(lambda repo: repo.outbox.leftover_replies(self.clock(), REPLY_LEASE, of))
        except Exception as error:
            log.warning("Replies left by a previous run could not be read (%s); the outbox sends them.", error_name(error))
            return
        by_person: dict[tuple[str, str], list[StoredReply]] = {}
        for outbox_id, channel, address, body in rows:
            if channel in self.handlers:
                by_person.setdefault((channel, address), []).append(StoredReply(outbox_id, reply_from_body(body)))
        if by_person:
            log.info("Sending %d reply(ies) a previous run had not sent.", sum(map(len, by_person.values())))
        await asyncio.gather(*(
            deliver_stored(self.storage, self.handlers[channel], address, stored, self.clock)
            for (channel, address), stored in by_person.items()
        ))

    async def _claim(self, limit: int) -> list[Claimed]:
        channels = list(self.handlers)
        try:
            return await self.storage.transaction(lambda repo: repo.inbox.claim(self.storage.owner, channels, self.clock(), limit, LEASE), retry_for=0)
        except Exception as error:
            log.warning("The inbox could not be read (%s); trying again.", error_name(error))
            return []

    async def _one(self, item: Claimed) -> None:
        try:
            async with self._turns.of(item.sender_key or item.id):
                handled = await self.handlers[item.channel].handle(item)
        except Unreadable as error:
            cause = error.__cause__ or error
            log.warning("An incoming %s update could not be read (%s); it is set aside.", item.channel, type(cause).__name__)
            await self._set_aside(item, type(cause).__name__)
        except Exception as error:
            await self._failed(item, error)
        else:
            if not handled:
                await self._note(lambda repo: repo.inbox.finish(item.id, self.clock()))
        finally:
            del self._in_hand[item.id]
            if self._unclaimed or self._stopping:
                self._wake.set()  # the sender's next message may be first in line now

    async def _failed(self, item: Claimed, error: Exception) -> None:
        """Tried again after a backoff; set aside once it failed MAX_TRIES times (the database's own outages do not count)."""
        name, counted = error_name(error), not transient(error)
        tries = item.tries + counted
        log.error("Handling an incoming %s update failed (%s at %s); try %d of %d.", item.channel, name, _where(error), tries, MAX_TRIES)
        if tries >= MAX_TRIES:
            await self._set_aside(item, name)
            return
        wait = min(LONGEST_RETRY_AFTER, FIRST_RETRY_AFTER * 2 ** max(0, tries - 1))
        await self._note(lambda repo: repo.inbox.try_again(item.id, name, self.clock() + timedelta(seconds=wait), counted))

    async def _set_aside(self, item: Claimed, error: str) -> None:
        """Dead, its text erased; the staff are told, and the person asked to write again, in the same transaction."""
        address = self._apology_address(item)

        async def set_aside(repo: Repository) -> bool:
            now = self.clock()
            if not await repo.inbox.set_aside(item.id, error, now):
                return False
            if self.tell_staff:
                t = self.catalogs.translator(self.staff_language)
                notice = t.gettext("A message to the bot could not be read and was set aside ({error}); its sender was asked to write again.", error=error)
                await repo.outbox.enqueue(STAFF, "", {"kind": "post", "text": notice}, now)
            if address is not None:
                t = self.catalogs.translator(None)
                apology = t.gettext("Sorry, something went wrong on my side. Please write your message again in a moment.")
                await repo.outbox.enqueue(item.channel, address, {**reply_to_body(Reply(apology, t.lang)), ERASE_WHEN_DONE: True}, now)
            return True

        if await self._note(set_aside):
            self.on_queued()

    def _apology_address(self, item: Claimed) -> str | None:
        try:
            return self.handlers[item.channel].apology_to(item.payload or {})
        except Exception:
            return None

    async def _note(self, work: Callable[[Repository], Any]) -> Any:
        """Bookkeeping, retried while the database is away; if it stays away, the lease runs out and the row is taken again."""
        try:
            return await self.storage.transaction(work)
        except Exception as error:
            log.warning("The outcome of an incoming update could not be noted (%s); it will be handled again.", error_name(error))
            return None


def _where(error: BaseException) -> str:
    """The file, line and function where `error` was raised: enough to find it, with no value in it."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "?"
    frame = frames[-1]
    return f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} {frame.name}"
