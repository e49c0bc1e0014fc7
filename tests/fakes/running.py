"""The real Telegram application, run as `outreach-bot run` runs it, against the fake Bot API."""

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select

from bot.app import App, start
from bot.faq.model import Faq
from bot.service import serve
from bot.settings import Settings, load_settings
from bot.storage.models import OutboxMessage
from bot.web import HEALTH_PATH
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


@dataclass
class BotProcess:
    log_file: Path
    returncode: int | None = None

    @property
    def logs(self) -> str:
        return self.log_file.read_text()


@asynccontextmanager
async def bot_process(api: FakeBotApi, workdir: Path, telegram: bool = True, **environment: str) -> AsyncIterator[BotProcess]:
    """`outreach-bot run` in a process of its own, at LOG_LEVEL=DEBUG, until SIGTERM stops it.

    The block starts once the bot polls the Bot API (without `telegram`: once its web server on
    HTTP_PORT says it runs); `returncode` and `logs` are there after it.
    """
    running = BotProcess(workdir / "bot.log")
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.url,
        "DATABASE_URL": f"sqlite:///{workdir / 'bot.sqlite3'}",
        "LOG_LEVEL": "DEBUG",
        "FAQ_RELOAD_SECONDS": "0",
        **environment,
    }
    if not telegram:
        del env["TELEGRAM_BOT_TOKEN"]
    with running.log_file.open("w") as log:
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "run", env=env, cwd=workdir, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 90
            while not (api.calls_to("getUpdates") if telegram else await _healthy(int(env["HTTP_PORT"]))):
                assert process.returncode is None and time.monotonic() < deadline, running.logs
                await asyncio.sleep(0.05)
            yield running
        finally:
            process.send_signal(signal.SIGTERM)
            running.returncode = await asyncio.wait_for(process.wait(), 30)


async def _healthy(port: int) -> bool:
    async with httpx.AsyncClient() as client:
        try:
            return (await client.get(f"http://127.0.0.1:{port}{HEALTH_PATH}")).status_code == 200
        except httpx.TransportError:
            return False


async def all_handled(app, timeout: float = 20) -> None:
    """Every stored update handled and every reply out of the outbox: a quiet Bot API alone does not say so on a busy machine."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        async with app.storage.unit() as repo:
            queued = await repo.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "queued"))
            left = await repo.inbox.pending() + len(list(queued))
        if not left:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("updates or replies still waiting")
