"""`outreach-bot run`: the Telegram bot, by long polling or behind the webhook server, until a signal stops it.

Every conversation lives in the database, so stopping and starting again loses nothing, and
several processes in webhook mode can share one PostgreSQL database. With the WhatsApp
settings, the web server also runs beside long polling, for WhatsApp's webhook.
"""

import asyncio
import logging
import signal
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import BaseRoute
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot.app import App, settle_memory, start
from bot.channels.telegram import ALLOWED_UPDATES, publish_commands
from bot.channels.telegram import CHANNEL as TELEGRAM
from bot.channels.telegram_app import bot_api_urls, build_application
from bot.channels.telegram_inbox import Store, TelegramInbox, inbox_items, poll
from bot.channels.telegram_staff import TelegramSender, TelegramStaffRoom, register_staff_group
from bot.channels.whatsapp import CHANNEL as WHATSAPP
from bot.channels.whatsapp import WhatsAppChannel
from bot.inbox.worker import CONCURRENCY, SQLITE_CONCURRENCY, InboxHandler, InboxWorker
from bot.messages import PersonSender
from bot.settings import Settings, SettingsError, require_telegram_token
from bot.web import create_web_app, listen, web_server
from handover.outbox import Outbox

log = logging.getLogger(__name__)

QUIETER_LOGGERS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "telegram": logging.INFO,
    "aiosqlite": logging.INFO,
    "sqlalchemy.engine": logging.WARNING,
}
"""Libraries that would log what the bot must not: httpx's request lines hold the bot token (it
is in the URL), PTB's and aiosqlite's debug lines whole updates, message texts and chat ids,
SQLAlchemy's the queries. LOG_LEVEL=DEBUG is for the bot's own code."""


async def run(settings: Settings) -> None:
    """Until SIGINT or SIGTERM; the updates in hand are finished first."""
    require_telegram_token(settings)
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
        await serve(settings, app, stop)
    finally:
        await app.close()


async def serve(settings: Settings, app: App, stop: asyncio.Event) -> None:
    """Runs the bot on `app` until `stop` is set."""
    application = build_application(settings, app)
    web = settings.webhook_url is not None or settings.whatsapp_enabled
    listening = listen(settings.http_host, settings.http_port) if web else None
    whatsapp = WhatsAppChannel.from_settings(settings, app.engine) if settings.whatsapp_enabled else None
    routes = whatsapp.routes() if whatsapp is not None else []
    try:
        async with application:
            outbox = start_staff_side(settings, app, application, whatsapp)
            inbox = start_inbox(settings, app, application, whatsapp, outbox)
            working = asyncio.create_task(inbox.run())
            try:
                await publish_commands(application.bot, app.engine.catalogs)

                async def store_updates(updates: list) -> None:
                    await inbox.store(inbox_items(updates, app.engine.pseudonym_of))

                if settings.webhook_url is None:
                    async with _serving(create_web_app(application, None, routes), listening):
                        await _poll(application, store_updates, stop)
                else:
                    assert listening is not None
                    await _serve_webhook(settings, application, listening, stop, routes, store_updates)
            finally:
                inbox.stop()
                await working
                await app.stop_handover()
    except InvalidToken:
        raise SettingsError("The setting TELEGRAM_BOT_TOKEN is wrong: the Bot API refused it.") from None
    except NetworkError as error:
        raise SettingsError(
            f"The setting TELEGRAM_API_BASE_URL is wrong, or the network is down: no Bot API answered at "
            f"{bot_api_urls(settings)[0].removesuffix('/bot')} ({error.message})."
        ) from None
    finally:
        if listening is not None:
            listening.close()
        if whatsapp is not None:
            await whatsapp.aclose()


def start_inbox(settings: Settings, app: App, application: Application, whatsapp: WhatsAppChannel | None, outbox: Outbox) -> InboxWorker:
    """The worker that handles what the channels stored: Telegram's updates, WhatsApp's messages."""
    handlers: dict[str, InboxHandler] = {TELEGRAM: TelegramInbox(application)}
    inbox = InboxWorker(
        app.storage, handlers, app.engine.catalogs, app.engine.clock, settings.staff_language,
        tell_staff=settings.staff_chat_id is not None, on_queued=outbox.wake,
        concurrency=SQLITE_CONCURRENCY if app.storage.engine.dialect.name == "sqlite" else CONCURRENCY,
    )
    if whatsapp is not None:
        handlers[WHATSAPP] = whatsapp
        whatsapp.inbox = inbox
    return inbox


def start_staff_side(settings: Settings, app: App, application: Application, whatsapp: WhatsAppChannel | None) -> Outbox:
    """The outbox reaches people on every channel; the staff group follows each handover.

    The outbox runs even without a staff group: staff replies aside, it also delivers what a
    platform could not take at once.
    """
    senders: dict[str, PersonSender] = {"telegram": TelegramSender(application.bot)}
    if whatsapp is not None:
        senders["whatsapp"] = whatsapp.sender
    room = TelegramStaffRoom(application.bot, settings.staff_chat_id) if settings.staff_chat_id is not None else None
    outbox = app.start_handover(senders, room)
    if whatsapp is not None:
        whatsapp.outbox = outbox
    if settings.staff_chat_id is not None and app.engine.desk is not None:
        register_staff_group(application, settings.staff_chat_id, app.engine.desk)
    else:
        log.warning("No STAFF_CHAT_ID: handovers wait in the database (outreach-bot handover queue lists them).")
    return outbox


async def _poll(application: Application, store: Store, stop: asyncio.Event) -> None:
    """Long polling that confirms an update only once it is stored (bot/channels/telegram_inbox.py).

    Updates that waited while the bot was stopped are answered, not dropped; so are those stored
    but not yet handled when it stopped or was killed.
    """
    await application.bot.delete_webhook(drop_pending_updates=False)
    await application.start()
    log.info("The bot @%s is running (long polling).", application.bot.username)
    await poll(application.bot, store, stop)
    await application.stop()


@asynccontextmanager
async def _serving(web_app: Starlette, listening: socket.socket | None) -> AsyncIterator[None]:
    """The web server beside long polling, when WhatsApp needs its webhook."""
    if listening is None:
        yield
        return
    server = web_server(web_app)
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    host, port = listening.getsockname()[:2]
    log.info("The WhatsApp webhook is listening on %s:%d.", host, port)
    try:
        yield
    finally:
        server.should_exit = True
        await asyncio.wait([serving])
    serving.result()


async def _serve_webhook(
    settings: Settings,
    application: Application,
    listening: socket.socket,
    stop: asyncio.Event,
    routes: Sequence[BaseRoute] = (),
    store: Store | None = None,
) -> None:
    """The web server starts before Telegram is told where to post, and stops before the updates in hand are finished."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    server = web_server(create_web_app(application, secret, routes, store))
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        await application.bot.set_webhook(str(settings.webhook_url), secret_token=secret, allowed_updates=ALLOWED_UPDATES)
        await application.start()
        log.info("The bot @%s is running (webhook, listening on %s:%d).", application.bot.username, settings.http_host, settings.http_port)
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait([stopping, serving], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
    finally:
        server.should_exit = True
        await asyncio.wait([serving])
    if application.running:
        await application.stop()
    serving.result()
