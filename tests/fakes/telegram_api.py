"""A Telegram Bot API server on 127.0.0.1, for the tests and the load benchmark.

Telegram cannot be reached from here, so the real python-telegram-bot application talks to
this server instead. It answers the methods the bot uses the way Telegram does — parameters as
form fields or JSON, HTML checked, lengths and button data limited, long polling — and records
every call with the moment it arrived, so that a test can read what a person would have seen
and the benchmark can time it.
"""

import asyncio
import html
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fakes.loopback import LoopbackServer

BOT_ID = 7_000_001
TOKEN = f"{BOT_ID}:fake-token-for-the-loopback-bot-api"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Outreach", "username": "outreach_test_bot"}
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64

STICKER = {"sticker": {"file_id": "st1", "file_unique_id": "ust1", "type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False}}
VOICE = {"voice": {"file_id": "vo1", "file_unique_id": "uvo1", "duration": 4, "mime_type": "audio/ogg"}}
PHOTO = {"photo": [{"file_id": "ph1", "file_unique_id": "uph1", "width": 90, "height": 90}]}
LOCATION = {"location": {"latitude": 50.85, "longitude": 4.35}}

_STRING_FIELDS = {"text", "parse_mode", "action", "callback_query_id", "url", "secret_token", "language_code", "caption"}
"""Sent as they are; every other form field holds JSON (PTB encodes non-string values so)."""
_TAG = re.compile(r"</?(b|strong|i|em|u|ins|s|strike|del|a|code|pre|span|tg-spoiler|tg-emoji|blockquote)(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class BadRequest(Exception):
    """Telegram's 400, with its description."""


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    at: float
    """time.perf_counter() when the call arrived."""


@dataclass(frozen=True)
class Person:
    id: int
    first_name: str = "Amina"
    username: str | None = None
    language_code: str | None = None

    def user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


class FakeBotApi:
    """One server per test (the `bot_api` fixture) or per benchmark run; all its state is in memory."""

    def __init__(self, token: str = TOKEN):
        self.token = token
        self.calls: list[Call] = []
        self.available_at: dict[int, float] = {}
        """When each update was queued (perf_counter): the start of the benchmark's latency."""
        self.pushed: dict[int, dict[str, Any]] = {}
        """Every update pushed, by id: a test pushes one again to play a redelivery."""
        self.webhook: dict[str, Any] | None = None
        self.created_topics: list[int] = []
        """The thread ids of the forum topics the bot created, in order."""
        self._pending: list[dict[str, Any]] = []
        self._delivered: set[int] = set()
        self._failures: dict[str, list[tuple[int, str, int | None]]] = defaultdict(list)
        self._messages: dict[int, dict[str, Any]] = {}
        self._sent: dict[int, list[Call]] = defaultdict(list)
        self._chat_conditions: dict[int, asyncio.Condition] = {}
        self._arrived = asyncio.Condition()
        self._last_activity = time.perf_counter()
        self._next_update_id = 1
        self._next_message_id = 1
        self._next_query_id = 1
        self._closing = False
        self._server = LoopbackServer([Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])])

    @property
    def url(self) -> str:
        """The server root, as TELEGRAM_API_BASE_URL takes it."""
        return self._server.url

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        await self._server.start()

    async def stop(self) -> None:
        self._closing = True
        async with self._arrived:
            self._arrived.notify_all()
        await self._server.stop()

    # --- What people do -------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; an update_id it already has is kept (a redelivery)."""
        update = dict(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
            self._next_update_id += 1
        self.pushed[update["update_id"]] = update
        self._delivered.discard(update["update_id"])
        self._pending.append(update)
        self.available_at[update["update_id"]] = time.perf_counter()
        self._wake_pollers()
        return update["update_id"]

    def message(self, person: Person, text: str | None = None, *, chat: dict[str, Any] | None = None, edited: bool = False, **content: Any) -> int:
        """`person` writes `text` (or sends `content`, e.g. **STICKER) in their private chat, or in `chat`."""
        return self.push(self.new_message(person, text, chat=chat, edited=edited, **content))

    def new_message(self, person: Person, text: str | None = None, *, chat: dict[str, Any] | None = None, edited: bool = False, **content: Any) -> dict[str, Any]:
        """The update that message() queues, with its own update_id: what a webhook call carries."""
        message: dict[str, Any] = {"message_id": self._message_id(), "date": int(time.time()), "chat": chat or person.chat(), "from": person.user(), **content}
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if edited:
            message["edit_date"] = int(time.time())
        self._next_update_id += 1
        return {"update_id": self._next_update_id - 1, "edited_message" if edited else "message": message}

    def press(self, person: Person, button: str) -> int:
        """`person` presses the button labelled (or with the callback data) `button` on the latest bot message that has it."""
        for message in reversed(list(self._messages.values())):
            if message["chat"]["id"] != person.chat()["id"]:
                continue
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                for key in row:
                    if button in (key["text"], key.get("callback_data")):
                        query_id = str(self._next_query_id)
                        self._next_query_id += 1
                        query = {"id": query_id, "from": person.user(), "chat_instance": "ci", "data": key["callback_data"], "message": message}
                        return self.push({"callback_query": query})
        raise LookupError(f"no button {button!r} in the messages to {person.id}")

    def fail_next(self, method: str, error_code: int, description: str, retry_after: int | None = None) -> None:
        """The next call of `method` gets this error (429 with retry_after: Telegram's flood control)."""
        self._failures[method].append((error_code, description, retry_after))

    # --- What the bot did -----------------------------------------------------------------

    def mark(self) -> int:
        return len(self.calls)

    def calls_to(self, method: str, since: int = 0) -> list[Call]:
        return [call for call in self.calls[since:] if call.method == method]

    def sent(self, chat_id: int, since: int = 0) -> list[dict[str, Any]]:
        """The sendMessage parameters for a chat, in order."""
        return [call.params for call in self.calls[since:] if call.method == "sendMessage" and call.params.get("chat_id") == chat_id]

    def texts(self, chat_id: int, since: int = 0) -> list[str]:
        """What the person read: the texts sent to the chat, HTML parsed."""
        return [_parse_html(p["text"]) if p.get("parse_mode") == "HTML" else p["text"] for p in self.sent(chat_id, since)]

    def buttons(self, chat_id: int, since: int = 0) -> list[str]:
        """The callback data of every button sent to the chat."""
        keyboards = [p.get("reply_markup") or {} for p in self.sent(chat_id, since)]
        return [key["callback_data"] for keyboard in keyboards for row in keyboard.get("inline_keyboard", []) for key in row]

    def sent_calls(self, chat_id: int) -> list[Call]:
        return self._sent[chat_id]

    async def wait_sent(self, chat_id: int, count: int, timeout: float = 10) -> None:
        """Until `count` messages in all have been sent to the chat."""
        condition = self._chat_conditions.setdefault(chat_id, asyncio.Condition())
        async with condition:
            await asyncio.wait_for(condition.wait_for(lambda: len(self._sent[chat_id]) >= count), timeout)

    async def settle(self, quiet: float = 0.3, timeout: float = 20) -> None:
        """Until every queued update is confirmed and the bot has called nothing for `quiet` seconds."""
        deadline = time.perf_counter() + timeout
        while self._pending or time.perf_counter() - self._last_activity < quiet:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"the bot did not settle: {len(self._pending)} update(s) not confirmed")
            await asyncio.sleep(0.02)

    # --- The server -------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        try:
            params = await _params(request)
        except ValueError as error:
            return _error(400, f"Bad Request: {error}")
        self.calls.append(Call(method, params, time.perf_counter()))
        if method != "getUpdates":
            self._last_activity = time.perf_counter()
        if self._failures[method]:
            code, description, retry_after = self._failures[method].pop(0)
            return _error(code, description, {"retry_after": retry_after} if retry_after else None)
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        try:
            result = await handler(params)
        except BadRequest as error:
            return _error(400, f"Bad Request: {error}")
        return JSONResponse({"ok": True, "result": result})

    async def _getMe(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {**BOT_USER, "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}

    async def _getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self._pending = [u for u in self._pending if not (u["update_id"] < offset and u["update_id"] in self._delivered)]
        if not self._pending and not self._closing:
            async with self._arrived:
                try:
                    await asyncio.wait_for(self._arrived.wait_for(lambda: bool(self._pending) or self._closing), float(params.get("timeout") or 0))
                except TimeoutError:
                    pass
        batch = self._pending[: int(params.get("limit") or 100)]
        self._delivered.update(u["update_id"] for u in batch)
        if batch:
            self._last_activity = time.perf_counter()
        return batch

    async def _sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params["chat_id"]
        message = {
            "message_id": self._message_id(),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": BOT_USER,
            **_text_and_keyboard(params),
        }
        self._messages[message["message_id"]] = message
        self._sent[chat_id].append(self.calls[-1])
        condition = self._chat_conditions.get(chat_id)
        if condition is not None:
            async with condition:
                condition.notify_all()
        return message

    async def _createForumTopic(self, params: dict[str, Any]) -> dict[str, Any]:
        """A topic in a supergroup with topics; its thread id is the id of its first service message."""
        if not 1 <= len(params["name"]) <= 128:
            raise BadRequest("Bad Request: TOPIC_NAME_INVALID")
        thread = self._message_id()
        self.created_topics.append(thread)
        return {"message_thread_id": thread, "name": params["name"], "icon_color": 7322096}

    async def _editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._messages.get(params.get("message_id"))  # type: ignore[arg-type]
        if message is None or message["chat"]["id"] != params.get("chat_id"):
            raise BadRequest("message to edit not found")
        message.pop("reply_markup", None)
        message.update(_text_and_keyboard(params))
        return message

    async def _sendChatAction(self, params: dict[str, Any]) -> bool:
        if params.get("action") not in {"typing", "upload_photo", "record_voice", "upload_document", "choose_sticker"}:
            raise BadRequest("wrong parameter action in request")
        return True

    async def _answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        if not params.get("callback_query_id"):
            raise BadRequest("query is too old and response timeout expired or query ID is invalid")
        return True

    async def _setMyCommands(self, params: dict[str, Any]) -> bool:
        for command in params.get("commands") or []:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")) or not 1 <= len(command.get("description", "")) <= 256:
                raise BadRequest("BOT_COMMAND_INVALID")
        return True

    async def _deleteWebhook(self, _params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    async def _setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = params
        return True

    async def _getWebhookInfo(self, _params: dict[str, Any]) -> dict[str, Any]:
        url = self.webhook["url"] if self.webhook else ""
        return {"url": url, "has_custom_certificate": False, "pending_update_count": len(self._pending)}

    # --- Helpers ----------------------------------------------------------------------------

    def _wake_pollers(self) -> None:
        async def wake() -> None:
            async with self._arrived:
                self._arrived.notify_all()

        asyncio.get_running_loop().create_task(wake())

    def _message_id(self) -> int:
        self._next_message_id += 1
        return self._next_message_id

async def _params(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body:
        return dict(request.query_params)
    if request.headers.get("content-type", "").startswith("application/json"):
        return json.loads(body)
    params: dict[str, Any] = {}
    for name, value in parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True):
        params[name] = value if name in _STRING_FIELDS else _json_or_text(value)
    return params


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _text_and_keyboard(params: dict[str, Any]) -> dict[str, Any]:
    """The text as the person sees it (HTML parsed) and the keyboard, checked as Telegram checks them."""
    text = params.get("text", "")
    plain = _parse_html(text) if params.get("parse_mode") == "HTML" else text
    length = len(plain.encode("utf-16-le")) // 2
    if not plain.strip():
        raise BadRequest("message text is empty")
    if length > MAX_TEXT:
        raise BadRequest("message is too long")
    result: dict[str, Any] = {"text": plain}
    keyboard = params.get("reply_markup")
    if keyboard:
        for row in keyboard.get("inline_keyboard", []):
            for key in row:
                if not 1 <= len(key.get("callback_data", "").encode()) <= MAX_CALLBACK_DATA:
                    raise BadRequest("BUTTON_DATA_INVALID")
        result["reply_markup"] = keyboard
    return result


def _parse_html(text: str) -> str:
    """Telegram's rule: every <, > and & outside a supported tag or entity is an error."""
    plain = []
    position = 0
    while position < len(text):
        char = text[position]
        match = _TAG.match(text, position) if char == "<" else _ENTITY.match(text, position) if char == "&" else None
        if char in "<&" and match is None or char == ">":
            raise BadRequest(f"can't parse entities: unexpected {char!r} at byte offset {len(text[:position].encode())}")
        if match is not None:
            if char == "&":
                plain.append(html.unescape(match.group()))
            position = match.end()
            continue
        plain.append(char)
        position += 1
    return "".join(plain)


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=code)
