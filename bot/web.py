"""The bot's own web server (Starlette on uvicorn): the channels' webhooks and a health check.

Each channel brings its webhook routes (bot/channels/base.py, `Channel.routes`). A webhook only
checks and stores: a message is in the inbox, committed, before the platform gets its 200, and it
is handled from there (bot/inbox/: in order per person, once).

Whatever comes in is bounded before it is trusted: a body is read up to its endpoint's limit and
no further (`read_body`), a call with a body where none belongs is refused unread
(`BodiesOnlyForPosts`), JSON nests only so deep (`parse_object`), and a malformed or mistyped body
is a 400 that logs no byte of it.
"""

import json
import re
import socket
from collections.abc import Callable, Sequence
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.errors import SettingsError

HEALTH_PATH = "/healthz"
MAX_JSON_DEPTH = 64
"""Nesting of objects and arrays a webhook body may have. Telegram's updates and Meta's calls nest
about ten deep; parsing recurses, so anything past this is refused before it is parsed."""

_JSON_STRUCTURE = re.compile(r'[\[\]{}"\\]')


def create_web_app(routes: Sequence[BaseRoute], running: Callable[[], bool]) -> Starlette:
    """The channels' webhooks and `/healthz`, which answers 200 while `running()` says the bot runs (503 otherwise)."""

    async def healthz(_request: Request) -> Response:
        if running():
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "stopped"}, status_code=503)

    return Starlette(routes=[Route(HEALTH_PATH, healthz, methods=["GET"]), *routes], middleware=[Middleware(BodiesOnlyForPosts)])


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
