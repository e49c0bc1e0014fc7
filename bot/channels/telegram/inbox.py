"""Telegram through the inbox: long polling that moves the offset only past stored updates, and the handling of stored ones.

python-telegram-bot's Updater confirms a batch (the next getUpdates' offset) as soon as it is
queued in memory, before any of it is handled: a process killed then loses the batch, which
Telegram will not deliver again. Here a batch is stored in the inbox first, as the raw JSON
Telegram sent, and only then is the next getUpdates called with the offset past it. An update
the library cannot parse (a field of a newer or older Bot API) is stored like any other and set
aside by the worker; it never stops the polling.

Stored updates are handled by the PTB Application's handlers (bot/channels/telegram/handlers.py),
called by the inbox worker one update at a time per chat.
"""

import asyncio
import logging
import warnings
from collections.abc import Awaitable
from typing import Any

from telegram import Bot
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from bot.channels.telegram.handlers import ALLOWED_UPDATES, CHANNEL
from bot.channels.telegram.webhook import Store, telegram_update
from bot.errors import Unreadable
from bot.inbox.handling import CURRENT, Handling
from bot.inbox.keys import KeyOf, sender_key
from bot.storage.inbox_queries import Claimed

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10
"""Seconds getUpdates waits for an update (long polling); a stop does not wait for it."""
BATCH = 100
"""Updates a getUpdates call returns at most (Telegram's maximum)."""
RETRY_AFTER_ERROR = (0.5, 10.0)
"""The first and the longest wait after a failed getUpdates (Telegram or the network away)."""

warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning)
"""`Bot.do_api_request("getUpdates")` is how the raw JSON is had, unparsed; PTB suggests get_updates, which parses."""


def inbox_items(updates: list[Any], key_of: KeyOf) -> list[dict[str, Any]]:
    """The inbox rows of a raw getUpdates batch (or a webhook's one update); what has no update_id cannot be stored or confirmed, and is left."""
    items = []
    for update in updates:
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            continue
        items.append({"channel": CHANNEL, "delivery_id": str(update_id), "sender_key": sender_key(key_of, CHANNEL, _chat_of(update)), "payload": update})
    return items


async def poll(bot: Bot, store: Store, stop: asyncio.Event) -> None:
    """getUpdates until `stop`: each batch stored (`store` returns once it is committed) before the next call confirms it."""
    offset: int | None = None
    failures = 0
    while not stop.is_set():
        try:
            batch = await _until(stop, _get_updates(bot, offset))
            if batch is None:
                return
            if batch:
                await store(batch)
                ids = [update["update_id"] for update in batch if _has_id(update)]
                offset = max(ids) + 1 if ids else offset
            failures = 0
        except InvalidToken:
            raise
        except RetryAfter as error:
            await _pause(stop, error.retry_after if isinstance(error.retry_after, (int, float)) else error.retry_after.total_seconds())
        except TelegramError as error:  # a Conflict, the network, Telegram away
            log.warning("getUpdates failed (%s); trying again.", type(error).__name__)
            await _pause(stop, min(RETRY_AFTER_ERROR[1], RETRY_AFTER_ERROR[0] * 2**failures))
            failures += 1
        except Exception as error:  # storing failed for good (the database is away): nothing was confirmed
            log.warning("Updates could not be stored (%s); asking Telegram again.", type(error).__name__)
            await _pause(stop, min(RETRY_AFTER_ERROR[1], RETRY_AFTER_ERROR[0] * 2**failures))
            failures += 1


async def _get_updates(bot: Bot, offset: int | None) -> list[Any]:
    result = await bot.do_api_request(
        "getUpdates",
        api_kwargs={"offset": offset, "timeout": POLL_TIMEOUT, "limit": BATCH, "allowed_updates": ALLOWED_UPDATES},
        read_timeout=POLL_TIMEOUT + 5,
    )
    return result if isinstance(result, list) else []


async def _until(stop: asyncio.Event, work: Awaitable[Any]) -> Any:
    """`work`'s result, or None when `stop` came first (a long poll is cancelled: nothing it fetched was confirmed)."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait([task, stopping], return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return None
    return task.result()


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


def _has_id(update: Any) -> bool:
    return isinstance(update, dict) and isinstance(update.get("update_id"), int) and not isinstance(update.get("update_id"), bool)


def _chat_of(update: dict[str, Any]) -> object:
    """The chat an update belongs to, read from the raw JSON (tolerant: a malformed update has none)."""
    for key in ("message", "edited_message"):
        message = update.get(key)
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return message["chat"].get("id")
    query = update.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message")
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return message["chat"].get("id")
        if isinstance(query.get("from"), dict):
            return query["from"].get("id")
    return None


async def handle_stored(application: Application, item: Claimed) -> bool:
    """A stored update through the Application's handlers; True when the engine marked its row done (InboxHandler.handle)."""
    update = telegram_update(item.payload, application.bot) if isinstance(item.payload, dict) else None
    if update is None:
        raise Unreadable("not an update the bot can read")
    handling = Handling(item.id)
    token = CURRENT.set(handling)
    try:
        await application.process_update(update)
    finally:
        CURRENT.reset(token)
    if handling.error is not None:
        raise handling.error
    return handling.handled


def apology_address(payload: dict[str, Any]) -> str | None:
    """A private chat's id (a person's), never a group's."""
    chat = _chat_of(payload)
    return str(chat) if isinstance(chat, int) and not isinstance(chat, bool) and chat > 0 else None
