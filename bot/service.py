"""`outreach-bot run`: every channel the settings turn on, until a signal stops the bot.

Every conversation lives in the database, so stopping and starting again loses nothing, and
several processes can share one PostgreSQL database. The parts start in the order that lets
nothing be lost: each channel's connection (so that anything can be sent), the outbox and the
inbox's worker (which first send what a killed run left), the web server (the channels' webhooks
and /healthz), then each channel's receiving. They stop the other way round: receiving first,
then the web server, then the inbox finishes the messages in hand and the outbox what it holds,
while the channels can still send; the channels' connections go last.
"""

import asyncio
import logging
import signal
import socket
from collections.abc import Callable
from contextlib import AsyncExitStack
from functools import partial

from starlette.applications import Starlette

from bot.app import App, settle_memory, start
from bot.channels.base import ChannelParts, Hub
from bot.channels.registry import CHANNELS, configured
from bot.errors import SettingsError
from bot.inbox.worker import CONCURRENCY, SQLITE_CONCURRENCY, InboxWorker
from bot.outbox.worker import Outbox
from bot.reports.staff import summary as staff_summary
from bot.settings import Settings
from bot.web import create_web_app, listen, web_server
from handover import jobs

log = logging.getLogger(__name__)

OUTBOX_STOP_SECONDS = 15
QUIETER_LOGGERS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "telegram": logging.INFO,
    "sqlalchemy.engine": logging.WARNING,
}
"""Libraries that would log what the bot must not: httpx's request lines hold the bot token (it
is in the URL), PTB's debug lines whole updates, message texts and chat ids,
SQLAlchemy's the queries. LOG_LEVEL=DEBUG is for the bot's own code."""


async def run(settings: Settings, ready: Callable[[], None] = lambda: None) -> None:
    """Until SIGINT or SIGTERM; the messages in hand are finished first. `ready` is called once
    every channel receives (the command line says so after the long load)."""
    check_channels(settings)
    for name, level in QUIETER_LOGGERS.items():
        logging.getLogger(name).setLevel(max(level, logging.getLogger().getEffectiveLevel()))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    app = await start(settings)
    settle_memory()
    app.watch_knowledge()
    try:
        await serve(settings, app, stop, ready)
    finally:
        await app.close()


def check_channels(settings: Settings) -> None:
    """One sentence when no channel is set up, or the staff group has no Telegram to live on."""
    if not configured(settings):
        wanted = " or ".join(f"{entry.settings} ({entry.name})" for entry in CHANNELS)
        raise SettingsError(f"No channel is set up: set {wanted}. For Telegram, the setting TELEGRAM_BOT_TOKEN comes from @BotFather.")
    if settings.staff_chat_id is not None and not settings.telegram_enabled:
        raise SettingsError("The setting STAFF_CHAT_ID names a Telegram group: set TELEGRAM_BOT_TOKEN too, or remove STAFF_CHAT_ID.")


async def serve(settings: Settings, app: App, stop: asyncio.Event, ready: Callable[[], None] = lambda: None) -> None:
    """Runs the bot on `app` until `stop` is set, or a channel can no longer receive (then raises why)."""
    check_channels(settings)
    parts = ChannelParts(app.engine, app.desk, partial(staff_summary, app.storage, settings))
    channels = [entry.build(settings, parts) for entry in configured(settings)]
    by_name = {channel.name: channel for channel in channels}
    staff_room = next((channel.staff_room for channel in channels if channel.staff_room is not None), None)
    if staff_room is None:
        log.warning(
            "No STAFF_CHAT_ID: handovers wait in the database (outreach-bot handover queue lists them). "
            "Write /id in the staff group: this log gives its id."
        )
    outbox = Outbox(
        app.storage, by_name, staff_room, app.engine.clock,
        on_undelivered=app.desk.undelivered if app.desk is not None else None, wakeup=app.outbox_wakeup,
    )
    inbox = InboxWorker(
        app.storage, by_name, app.engine.catalogs, app.engine.clock, settings.staff_language,
        tell_staff=staff_room is not None, on_queued=outbox.wake,
        concurrency=SQLITE_CONCURRENCY if app.storage.engine.dialect.name == "sqlite" else CONCURRENCY,
    )
    hub = Hub(store=inbox.store, delivery_failed=outbox.failed_later, wake_outbox=outbox.wake, failed=stop.set)
    routes = [route for channel in channels for route in channel.routes()]
    listening = listen(settings.http_host, settings.http_port) if routes or settings.health_check else None
    started = asyncio.Event()
    async with AsyncExitStack() as stack:
        stack.callback(lambda: listening.close() if listening is not None else None)
        for channel in channels:
            await channel.open()
            stack.push_async_callback(channel.aclose)
        stack.push_async_callback(_stop_outbox, outbox, asyncio.create_task(outbox.run()))
        if app.desk is not None:
            stack.push_async_callback(_cancel, asyncio.create_task(jobs.run(app.desk, app.storage, app.engine.schedule, settings.retention_days, app.engine.clock, settings.unanswered_days)))
        stack.push_async_callback(_stop_inbox, inbox, asyncio.create_task(inbox.run()))
        waiting = [asyncio.create_task(stop.wait())]
        if listening is not None:
            waiting.append(await _serve_web(stack, create_web_app(routes, lambda: started.is_set() and not stop.is_set()), listening))
        for channel in channels:
            await channel.start(hub)
            stack.push_async_callback(channel.stop)
        started.set()
        ready()
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        waiting[0].cancel()


async def _serve_web(stack: AsyncExitStack, web_app: Starlette, listening: socket.socket) -> asyncio.Task:
    """The web server on its socket (listening since start-up: a webhook call that comes early waits in its backlog)."""
    server = web_server(web_app)
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    host, port = listening.getsockname()[:2]
    log.info("The web server is listening on %s:%d.", host, port)

    async def stop_serving() -> None:
        server.should_exit = True
        await asyncio.wait([serving])
        serving.result()

    stack.push_async_callback(stop_serving)
    return serving


async def _stop_inbox(inbox: InboxWorker, working: asyncio.Task) -> None:
    inbox.stop()
    await working


async def _stop_outbox(outbox: Outbox, delivering: asyncio.Task) -> None:
    """Let the outbox finish what it has in hand, while the channels can still send."""
    outbox.stop()
    try:
        await asyncio.wait_for(delivering, OUTBOX_STOP_SECONDS)
    except TimeoutError:
        log.warning("The outbox did not finish in %d s; what it had in hand is delivered after the restart.", OUTBOX_STOP_SECONDS)


async def _cancel(task: asyncio.Task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
