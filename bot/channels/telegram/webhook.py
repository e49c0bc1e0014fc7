"""Telegram's webhook: a call checked (secret, size, shape) and its update stored in the inbox before the 200.

Only Telegram knows the secret (given with setWebhook): anything else is refused unread. A
malformed or mistyped update is a 400 that logs none of it; when the database stays away the
answer is a 503, and Telegram sends the update again later.
"""

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeGuard

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Bot, Update

from bot.web import parse_object, read_body

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024
"""Bytes a Telegram webhook call may carry. An update is one message, edit or button press: at
most 4096 characters of text (16 KB of UTF-8) with its entities, the message it replies to and
the people in them, some tens of KB in all. 1 MB is plenty, and bounds what one call can take."""

Store = Callable[[list[dict[str, Any]]], Awaitable[object]]
"""The channel's way into the inbox: raw updates, stored and committed when it returns."""


def webhook_route(bot: Bot, secret: str, store: Callable[[], Store | None]) -> Route:
    """`store()`: the channel's way into the inbox once it is started; None before (the call is answered 503)."""

    async def telegram_webhook(request: Request) -> Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret.encode()):
            return JSONResponse({"error": "wrong or missing secret token"}, status_code=403)
        body = await read_body(request, MAX_BODY)
        if body is None:
            log.warning("A Telegram webhook call larger than %d bytes was refused.", MAX_BODY)
            return PlainTextResponse("too large", status_code=413)
        data = parse_object(body)
        if data is None or telegram_update(data, bot) is None:
            log.warning("A Telegram webhook call with a malformed update was refused.")
            return PlainTextResponse("malformed update", status_code=400)
        storing = store()
        if storing is None:
            return PlainTextResponse("not started yet", status_code=503)
        try:
            await storing([data])
        except Exception as error:  # the database stayed away: Telegram sends the update again later
            log.warning("A Telegram update could not be stored (%s); Telegram will send it again.", type(error).__name__)
            return PlainTextResponse("try again later", status_code=503)
        return Response()

    return Route(WEBHOOK_PATH, telegram_webhook, methods=["POST"])


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
    """update_id, and the messages and button presses of ALLOWED_UPDATES (bot/channels/telegram/handlers.py) as the bot reads them."""
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


