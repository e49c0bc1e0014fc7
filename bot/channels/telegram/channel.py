"""The Telegram channel: a python-telegram-bot Application, fed from the inbox, by long polling or the webhook.

Updates reach the inbox first (bot/channels/telegram/inbox.py for polling, webhook.py for the
webhook) and the inbox's worker hands each stored one to the Application's handlers
(handlers.py). With STAFF_CHAT_ID the channel also hosts the staff group (staff.py).
"""

import asyncio
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from starlette.routing import BaseRoute
from telegram.error import InvalidToken, NetworkError

from bot.channels.base import Capabilities, Channel, ChannelParts, Hub
from bot.channels.telegram.application import bot_api_urls, build_application
from bot.channels.telegram.handlers import ALLOWED_UPDATES, CHANNEL, TelegramSender, publish_commands
from bot.channels.telegram.inbox import apology_address, handle_stored, inbox_items, poll
from bot.channels.telegram.render import MAX_TEXT
from bot.channels.telegram.staff import TelegramStaffRoom, register_staff_group
from bot.channels.telegram.webhook import webhook_route
from bot.errors import SettingsError
from bot.messages import DeliveryResult, Reply
from bot.settings import Settings
from bot.storage.inbox_queries import Claimed
from handover.commands import StaffCommands

log = logging.getLogger(__name__)


class TelegramChannel(Channel):
    name = CHANNEL
    capabilities = Capabilities(buttons=True, max_text=MAX_TEXT, protects_content=True)

    def __init__(self, settings: Settings, parts: ChannelParts):
        self.application = build_application(settings, parts.engine)
        self._catalogs = parts.engine.catalogs
        self._pseudonym_of = parts.engine.pseudonym_of
        self._root = bot_api_urls(settings)[0].removesuffix("/bot")
        self._webhook_url = str(settings.webhook_url) if settings.webhook_url is not None else None
        self._secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret is not None else None
        self._sender = TelegramSender(self.application.bot)
        self._hub: Hub | None = None
        self._stopping = asyncio.Event()
        self._polling: asyncio.Task | None = None
        if settings.staff_chat_id is not None:
            self.staff_room = TelegramStaffRoom(self.application.bot, settings.staff_chat_id)
            if parts.desk is not None:
                register_staff_group(self.application, settings.staff_chat_id, StaffCommands(parts.desk, settings.staff_ids, settings.staff_chat_id, parts.report))

    def routes(self) -> Sequence[BaseRoute]:
        if self._secret is None:
            return ()
        return (webhook_route(self.application.bot, self._secret, lambda: self._store if self._hub is not None else None),)

    async def open(self) -> None:
        with self._settings_checked():
            await self.application.initialize()
            await publish_commands(self.application.bot, self._catalogs)

    async def start(self, hub: Hub) -> None:
        """Updates that waited while the bot was stopped are answered, not dropped (polling confirms only stored ones)."""
        self._hub = hub
        bot = self.application.bot
        with self._settings_checked():
            if self._webhook_url is not None:
                await bot.set_webhook(self._webhook_url, secret_token=self._secret, allowed_updates=ALLOWED_UPDATES)
            else:
                await bot.delete_webhook(drop_pending_updates=False)
            await self.application.start()
        if self._webhook_url is None:
            self._polling = asyncio.create_task(poll(bot, self._store, self._stopping))
            self._polling.add_done_callback(lambda _: hub.failed() if not self._stopping.is_set() else None)
        log.info("The bot @%s is running (%s).", bot.username, "webhook" if self._webhook_url is not None else "long polling")

    async def stop(self) -> None:
        self._stopping.set()
        if self._polling is not None:
            await self._polling

    async def aclose(self) -> None:
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    @contextmanager
    def _settings_checked(self) -> Iterator[None]:
        """What the Bot API refuses, in one sentence naming the setting."""
        try:
            yield
        except InvalidToken:
            raise SettingsError("The setting TELEGRAM_BOT_TOKEN is wrong: the Bot API refused it.") from None
        except NetworkError as error:
            raise SettingsError(
                f"The setting TELEGRAM_API_BASE_URL is wrong, or the network is down: no Bot API answered at {self._root} ({error.message})."
            ) from None

    async def send(self, address: str, reply: Reply) -> DeliveryResult:
        return await self._sender.send(address, reply)

    async def handle(self, item: Claimed) -> bool:
        return await handle_stored(self.application, item)

    def apology_to(self, payload: dict[str, Any]) -> str | None:
        return apology_address(payload)

    async def _store(self, updates: list[Any]) -> int:
        assert self._hub is not None
        return await self._hub.store(inbox_items(updates, self._pseudonym_of))
