"""The bot's WhatsApp channel against the fake Graph API, its webhook reached in-process (httpx's ASGI transport).

What `outreach-bot run` serves is exercised in test_whatsapp_run.py; here the channel, its inbox
and its outbox are built by hand so that a test can use its own engine (its clock, its handover)
and short retry waits.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from starlette.applications import Starlette

from bot.channels.base import Hub
from bot.channels.whatsapp.api import GraphApi, WhatsAppSender
from bot.channels.whatsapp.channel import SIGNATURE_HEADER, WEBHOOK_PATH, WhatsAppChannel
from bot.engine import Engine
from bot.inbox.worker import SQLITE_CONCURRENCY, InboxWorker
from bot.outbox import StaffRoom
from bot.outbox.worker import Outbox
from bot.settings import DEFAULT_TEMPLATE_LANGUAGES
from fakes.graph_api import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, TEMPLATE_NAME, VERIFY_TOKEN, VERSION, FakeGraphApi
from handover.desk import Desk

TEMPLATE_LANGUAGES = dict(pair.split(":") for pair in DEFAULT_TEMPLATE_LANGUAGES.split(","))


class Clock:
    """A clock a test moves by hand (the engine, the outbox and the channel share it)."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class WhatsAppBot:
    graph: FakeGraphApi
    channel: WhatsAppChannel
    client: httpx.AsyncClient
    inbox: InboxWorker
    outbox: Outbox
    """Started by the test when it wants (`deliver` in tests/test_handover.py): here it only takes what fails."""

    async def post(self, payload: dict[str, Any], signature: str | None = None, sign: bool = True) -> httpx.Response:
        """A webhook call as Meta makes it: signed, unless `signature` is given or `sign` is False."""
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if signature is not None or sign:
            headers[SIGNATURE_HEADER] = signature if signature is not None else self.graph.sign(body)
        return await self.client.post(WEBHOOK_PATH, content=body, headers=headers)

    async def deliver(self, payload: dict[str, Any]) -> httpx.Response:
        """Posts a signed call and waits until the bot has handled it."""
        response = await self.post(payload)
        await self.settle()
        return response

    async def settle(self) -> None:
        """Until every stored message is handled and its replies sent (or handed to the outbox)."""
        while True:
            await self.inbox.drain()
            async with self.channel.engine.storage.unit() as repo:
                pending = await repo.inbox.pending()
            if not pending:
                return
            await asyncio.sleep(0.01)


@asynccontextmanager
async def whatsapp_bot(
    graph: FakeGraphApi, engine: Engine, backoff: float = 0.01, room: StaffRoom | None = None, desk: Desk | None = None, wakeup: asyncio.Event | None = None
) -> AsyncIterator[WhatsAppBot]:
    """The channel started as `outreach-bot run` starts it (bot/service.py), its inbox's worker running;
    `room`, `desk` and `wakeup`: the staff side, when the test has one."""
    api = GraphApi(graph.url, VERSION, PHONE_NUMBER_ID, ACCESS_TOKEN, backoff=backoff)
    sender = WhatsAppSender(api, engine.catalogs, TEMPLATE_NAME, TEMPLATE_LANGUAGES)
    channel = WhatsAppChannel(engine, sender, PHONE_NUMBER_ID, VERIFY_TOKEN, APP_SECRET)
    outbox = Outbox(engine.storage, {channel.name: channel}, room, engine.clock, on_undelivered=desk.undelivered if desk else None, wakeup=wakeup)
    inbox = InboxWorker(engine.storage, {channel.name: channel}, engine.catalogs, engine.clock, on_queued=outbox.wake, concurrency=SQLITE_CONCURRENCY)
    working = asyncio.create_task(inbox.run())
    await channel.start(Hub(inbox.store, outbox.failed_later, outbox.wake, failed=lambda: None))
    web = Starlette(routes=channel.routes())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://bot.test") as client:
        try:
            yield WhatsAppBot(graph, channel, client, inbox, outbox)
        finally:
            await channel.stop()
            inbox.stop()
            await working
            await channel.aclose()
