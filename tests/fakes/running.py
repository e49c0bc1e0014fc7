"""The real Telegram application, run as `outreach-bot run` runs it, against the fake Bot API."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.app import App, start
from bot.faq.model import Faq
from bot.service import serve
from bot.settings import Settings, load_settings
from fakes.telegram_api import FakeBotApi
from nlu.embedded import EmbeddedNLU


def bot_settings(api: FakeBotApi, database_url: str, **overrides: object) -> Settings:
    defaults = {"telegram_bot_token": api.token, "telegram_api_base_url": api.url, "database_url": database_url, "faq_reload_seconds": 0}
    return load_settings(**{**defaults, **overrides})


@asynccontextmanager
async def running_bot(api: FakeBotApi, settings: Settings, knowledge: tuple[Faq, EmbeddedNLU]) -> AsyncIterator[App]:
    """The bot, polling or behind its webhook server, until the block ends; then stopped as a signal stops it."""
    app = await start(settings, knowledge)
    stop = asyncio.Event()
    serving = asyncio.create_task(serve(settings, app, stop))
    try:
        while not (api.calls_to("getUpdates") or api.webhook):
            if serving.done():
                serving.result()
            await asyncio.sleep(0.01)
        yield app
    finally:
        stop.set()
        await serving
        await app.close()
