"""The bot's own web server (Starlette on uvicorn): the Telegram webhook and a health check.

WhatsApp's webhook is served here too, beside the Telegram one (its routes come from
bot/channels/whatsapp.py). The server only
checks and queues: updates go through the same PTB queue as in polling mode, so they are
handled the same way (in order per chat, once).
"""

import hmac
import json
import logging
import socket
from collections.abc import Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import Update
from telegram.ext import Application

from bot.settings import SettingsError

log = logging.getLogger(__name__)

TELEGRAM_WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def create_web_app(telegram: Application, secret: str | None, routes: Sequence[BaseRoute] = ()) -> Starlette:
    """`secret`: None when Telegram is polled (the server runs for WhatsApp only); `routes`: other channels' webhooks."""

    async def healthz(_request: Request) -> Response:
        if telegram.running:
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "stopped"}, status_code=503)

    async def telegram_webhook(request: Request) -> Response:
        """Only Telegram knows the secret (given with setWebhook): anything else is refused unread."""
        assert secret is not None
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret.encode()):
            return JSONResponse({"error": "wrong or missing secret token"}, status_code=403)
        try:
            data = json.loads(await request.body())
            update = Update.de_json(data, telegram.bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError):
            update = None
        if update is None:
            log.warning("A webhook call with a malformed update was refused.")
            return JSONResponse({"error": "malformed update"}, status_code=400)
        await telegram.update_queue.put(update)
        return Response()

    telegram_routes = [Route(TELEGRAM_WEBHOOK_PATH, telegram_webhook, methods=["POST"])] if secret is not None else []
    return Starlette(routes=[Route("/healthz", healthz, methods=["GET"]), *telegram_routes, *routes])


def listen(host: str, port: int) -> socket.socket:
    """The server's socket, opened before anything else starts, so that a busy port is one clear sentence.

    Made with proto=IPPROTO_TCP: asyncio turns Nagle's algorithm off only on sockets that say
    they are TCP, and without that every response waits some 40 ms for a delayed ACK.
    """
    listening = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
        listening.listen(socket.SOMAXCONN)
    except OSError as error:
        listening.close()
        raise SettingsError(f"The settings HTTP_HOST and HTTP_PORT are wrong: cannot listen on {host}:{port} ({error.strerror}).") from None
    return listening


def web_server(app: Starlette) -> uvicorn.Server:
    """Logging is the bot's own (no access log: it would only repeat the webhook path)."""
    return uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None, access_log=False, server_header=False))
