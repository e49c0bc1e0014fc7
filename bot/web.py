"""The bot's own web server (Starlette on uvicorn): the Telegram webhook and a health check.

WhatsApp's webhook is served here too, beside the Telegram one (its routes come from
bot/channels/whatsapp.py). The server only
checks and stores: an update is in the inbox, committed, before Telegram gets its 200, and it
is handled from there as in polling mode (bot/inbox/: in order per chat, once).

Whatever comes in is bounded before it is trusted: a body is read up to its endpoint's limit and
no further (`read_body`), a call with a body where none belongs is refused unread
(`BodiesOnlyForPosts`), JSON nests only so deep (`parse_object`), and a malformed or mistyped body
is a 400 that logs no byte of it.
"""

import hmac
import json
import logging
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeGuard

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send
from telegram import Bot, Update
from telegram.ext import Application

from bot.settings import SettingsError

log = logging.getLogger(__name__)

TELEGRAM_WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TELEGRAM_MAX_BODY = 1024 * 1024
"""Bytes a Telegram webhook call may carry. An update is one message, edit or button press: at
most 4096 characters of text (16 KB of UTF-8) with its entities, the message it replies to and
the people in them, some tens of KB in all. 1 MB is plenty, and bounds what one call can take."""
MAX_JSON_DEPTH = 64
"""Nesting of objects and arrays a webhook body may have. Telegram's updates and Meta's calls nest
about ten deep; parsing recurses, so anything past this is refused before it is parsed."""

_JSON_STRUCTURE = re.compile(r'[\[\]{}"\\]')


def create_web_app(
    telegram: Application,
    secret: str | None,
    routes: Sequence[BaseRoute] = (),
    store: Callable[[list[dict[str, Any]]], Awaitable[None]] | None = None,
) -> Starlette:
    """`secret`: None when Telegram is polled (the server runs for WhatsApp only); `routes`: other channels' webhooks;
    `store`: the inbox's, which an update is stored with before the 200 (without it, the update goes to PTB's queue)."""

    async def healthz(_request: Request) -> Response:
        if telegram.running:
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "stopped"}, status_code=503)

    async def telegram_webhook(request: Request) -> Response:
        """Only Telegram knows the secret (given with setWebhook): anything else is refused unread."""
        assert secret is not None
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret.encode()):
            return JSONResponse({"error": "wrong or missing secret token"}, status_code=403)
        body = await read_body(request, TELEGRAM_MAX_BODY)
        if body is None:
            log.warning("A Telegram webhook call larger than %d bytes was refused.", TELEGRAM_MAX_BODY)
            return PlainTextResponse("too large", status_code=413)
        data = parse_object(body)
        update = telegram_update(data, telegram.bot) if data is not None else None
        if data is None or update is None:
            log.warning("A Telegram webhook call with a malformed update was refused.")
            return PlainTextResponse("malformed update", status_code=400)
        if store is None:
            await telegram.update_queue.put(update)
            return Response()
        try:
            await store([data])
        except Exception as error:  # the database stayed away: Telegram sends the update again later
            log.warning("A Telegram update could not be stored (%s); Telegram will send it again.", type(error).__name__)
            return PlainTextResponse("try again later", status_code=503)
        return Response()

    telegram_routes = [Route(TELEGRAM_WEBHOOK_PATH, telegram_webhook, methods=["POST"])] if secret is not None else []
    return Starlette(routes=[Route("/healthz", healthz, methods=["GET"]), *telegram_routes, *routes], middleware=[Middleware(BodiesOnlyForPosts)])


class BodiesOnlyForPosts:
    """Only the webhooks' POSTs take a body, each read up to its own limit (`read_body`).

    Any other call that comes with one (the health check, Meta's verification GET, a stray
    method) is refused with 413 before a byte of it is read.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] != "POST" and _has_body(Headers(scope=scope)):
            await PlainTextResponse("this call takes no body", status_code=413)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _has_body(headers: Headers) -> bool:
    return headers.get("content-length", "0").strip() not in ("", "0") or "transfer-encoding" in headers


async def read_body(request: Request, limit: int) -> bytes | None:
    """The raw body, or None when it is larger than `limit` bytes.

    Refused on its Content-Length before any of it is read, or, sent in chunks without one, as
    soon as what was read passes `limit`: never more than `limit` bytes (and one chunk) in memory.
    """
    declared = request.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def parse_object(body: bytes) -> dict[str, Any] | None:
    """A JSON object, or None for anything else: not UTF-8, not JSON, not an object, or nested past MAX_JSON_DEPTH.

    The nesting is counted before parsing, by a scan that recurses into nothing.
    """
    try:
        document = body.decode()
    except UnicodeDecodeError:
        return None
    if json_depth_exceeds(document, MAX_JSON_DEPTH):
        return None
    try:
        data = json.loads(document)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def json_depth_exceeds(document: str, limit: int) -> bool:
    """Whether the brackets outside strings nest deeper than `limit`; stops as soon as they do.

    It visits only brackets, quotes and backslashes, so a long text costs little.
    """
    depth, in_string, escaped_at = 0, False, -1
    for match in _JSON_STRUCTURE.finditer(document):
        char, at = match.group(), match.start()
        if in_string:
            if at == escaped_at:
                continue  # the character after a backslash: an escaped quote or backslash
            if char == "\\":
                escaped_at = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def telegram_update(data: dict[str, Any], bot: Bot) -> Update | None:
    """The update, or None when it is not one: the fields the bot reads are checked for their types
    first (PTB takes `"text": ["x"]` as it comes), then PTB builds it."""
    if not _update_shaped(data):
        return None
    try:
        return Update.de_json(data, bot)
    except Exception:  # PTB's constructors raise whatever a wrong type makes them meet: TypeError, AttributeError, KeyError…
        return None


def _update_shaped(data: dict[str, Any]) -> bool:
    """update_id, and the messages and button presses of ALLOWED_UPDATES (bot/channels/telegram.py) as the bot reads them."""
    messages = [data[key] for key in ("message", "edited_message") if key in data]
    query = data.get("callback_query")
    return (
        _is_int(data.get("update_id"))
        and all(_message_shaped(message) for message in messages)
        and (query is None or (_typed(query, {"id": str, "from": dict}, {"data": str, "message": dict}) and _user_shaped(query["from"])))
    )


def _message_shaped(message: object) -> bool:
    return (
        _typed(message, {"message_id": int, "date": int, "chat": dict}, {"from": dict, "text": str, "caption": str, "message_thread_id": int})
        and _typed(message["chat"], {"id": int, "type": str})
        and ("from" not in message or _user_shaped(message["from"]))
    )


def _user_shaped(user: dict[str, Any]) -> bool:
    return _typed(user, {"id": int}, {"language_code": str, "first_name": str})


def _typed(value: object, required: dict[str, type], optional: dict[str, type] | None = None) -> TypeGuard[dict[str, Any]]:
    """`value` is an object with its `required` fields, and these and the `optional` ones that are there have their types."""
    if not isinstance(value, dict) or not all(key in value for key in required):
        return False
    kinds = {**(optional or {}), **required}
    return all(_has_type(value[key], kind) for key, kind in kinds.items() if key in value)


def _has_type(value: object, kind: type) -> bool:
    return _is_int(value) if kind is int else isinstance(value, kind)


def _is_int(value: object) -> bool:
    """JSON's integers: `true` is not one, though Python's bool is an int."""
    return isinstance(value, int) and not isinstance(value, bool)


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
