"""The python-telegram-bot Application that `outreach-bot run` runs: built in one place for the bot, the tests and the benchmark."""

from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import AIORateLimiter, Application, BaseUpdateProcessor

from bot.channels.telegram.handlers import TelegramHandlers
from bot.channels.telegram.http import AiohttpRequest
from bot.engine import Engine
from bot.inbox.turns import Turns
from bot.settings import Settings, require_telegram_token

CONCURRENT_UPDATES = 64
"""Updates handled at once: enough that one slow reply does not hold everyone up, few enough to
stay well inside the database connection pool and Telegram's connection limits."""
CONNECTIONS = 128
"""Connections to the Bot API kept open at most: two per update in hand is plenty."""
RETRIES_AFTER_FLOOD = 3
"""Times a message refused with 429 (Too Many Requests) is sent again, after the wait Telegram asks for."""


def bot_api_urls(settings: Settings) -> tuple[str, str]:
    """PTB wants `<root>/bot` and `<root>/file/bot`; the setting holds the server root (`/bot` at its end is tolerated)."""
    root = str(settings.telegram_api_base_url).rstrip("/").removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"


def build_application(settings: Settings, engine: Engine) -> Application:
    base_url, base_file_url = bot_api_urls(settings)
    builder = (
        Application.builder()
        .token(require_telegram_token(settings))
        .base_url(base_url)
        .base_file_url(base_file_url)
        .request(AiohttpRequest(CONNECTIONS, engine.storage.journal))
        .get_updates_request(AiohttpRequest(1))
        .rate_limiter(AIORateLimiter(overall_max_rate=settings.telegram_rate_limit, max_retries=RETRIES_AFTER_FLOOD))
        .concurrent_updates(ChatOrderedUpdateProcessor(CONCURRENT_UPDATES))
    )
    application = builder.updater(None).build()  # updates come from the inbox (bot/channels/telegram/inbox.py), never PTB's Updater
    TelegramHandlers(engine, settings.staff_chat_id).register(application)
    return application


class ChatOrderedUpdateProcessor(BaseUpdateProcessor):
    """Different chats at the same time, one chat's updates one after the other (bot/inbox/turns.py).

    PTB's default handles one update at a time, so one person's slow reply makes everyone wait.
    """

    def __init__(self, max_concurrent_updates: int):
        super().__init__(max_concurrent_updates)
        self._turns = Turns()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        if key is None:
            await coroutine
            return
        async with self._turns.of(key):
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release: PTB waits for the updates in hand before it calls this."""


def _chat_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None

