"""WAHA on 127.0.0.1, for the tests: its sendText endpoint, and the webhook calls it makes.

WAHA runs beside the bot in production; here the bot's WAHA client talks to this server instead.
It answers POST /api/sendText as WAHA does (https://waha.devlike.pro/docs/how-to/send-messages/):
the X-Api-Key checked (401), the session known (404) and the chat id a person's or a group's
(400 otherwise); it records what each person would read. It can be down for a while (503, as
WAHA behind its proxy answers while it restarts), or refuse the next calls with a status.

It also writes what WAHA posts to the bot's webhook in the documented shapes
(https://waha.devlike.pro/docs/how-to/events/): `message` events (a text, a voice note, a
sticker…, the bot's own message, a group's, a status update) and others (`message.ack`,
`session.status`), signed as WAHA signs with an HMAC key: X-Webhook-Hmac, the hex HMAC-SHA512 of
the body, and X-Webhook-Hmac-Algorithm: sha512.
"""

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fakes.loopback import LoopbackFake

API_KEY = "waha-api-key-for-the-loopback-server"
HMAC_KEY = "waha-hmac-key-shared-with-the-bot"
SESSION = "default"
ME = "32220000000@c.us"
"""The organisation's number, as WAHA's `me` gives it."""

VOICE = {"hasMedia": True, "media": {"url": None, "mimetype": "audio/ogg; codecs=opus", "filename": None}, "_data": {"type": "ptt"}}
STICKER = {"hasMedia": True, "media": {"url": None, "mimetype": "image/webp", "filename": None}, "_data": {"type": "sticker"}}
PHOTO = {"hasMedia": True, "media": {"url": None, "mimetype": "image/jpeg", "filename": None}, "body": "a caption", "_data": {"type": "image"}}
VOICE_NOT_DOWNLOADED = {"hasMedia": True, "media": None, "_data": {"type": "ptt"}}
"""WHATSAPP_DOWNLOAD_MEDIA=false: WAHA keeps no file, and only the engine's raw message says what it was."""
LOCATION = {"location": {"latitude": "50.85", "longitude": "4.35", "description": None}, "_data": {"type": "location"}}


@dataclass(frozen=True)
class WahaPerson:
    number: str
    """Their phone number: the bot must never log it."""
    push_name: str = "Amina"
    """Their WhatsApp name, which WAHA sends in `_data`: the bot must never show or keep it."""

    @property
    def chat_id(self) -> str:
        return f"{self.number}@c.us"


@dataclass(frozen=True)
class SentText:
    message_id: str
    chat_id: str
    text: str
    session: str


class FakeWaha(LoopbackFake):
    """Served on loopback while its `async with` block runs; `url` is the root WAHA_URL takes."""

    def __init__(self, api_key: str = API_KEY, hmac_key: str = HMAC_KEY, session: str = SESSION):
        super().__init__([Route("/api/sendText", self._send_text, methods=["POST"])])
        self.api_key = api_key
        self.hmac_key = hmac_key
        self.session = session
        self.calls: list[dict[str, Any]] = []
        """Every sendText body, refused ones too."""
        self.sent: list[SentText] = []
        """Every text WAHA took, in order."""
        self.refused: list[int] = []
        """The HTTP status of every refused call."""
        self._down_until = 0.0
        self._failures: list[int] = []
        self._sent_to: dict[str, asyncio.Condition] = defaultdict(asyncio.Condition)

    # --- What WAHA posts to the bot's webhook ---------------------------------------------------

    def message(self, person: WahaPerson, text: str | None = None, *, message_id: str | None = None, **fields: Any) -> dict[str, Any]:
        """`person` writes `text` (or sends what `fields` say, e.g. **VOICE) to the organisation's number."""
        message_id = message_id or f"false_{person.chat_id}_{secrets.token_hex(10).upper()}"
        payload: dict[str, Any] = {
            "id": message_id,
            "timestamp": int(time.time()),
            "from": person.chat_id,
            "fromMe": False,
            "to": ME,
            "body": text or "",
            "hasMedia": False,
            "ack": 1,
            "vCards": [],
            "_data": {"type": "chat", "notifyName": person.push_name},
        }
        payload.update(fields)
        return self.event("message", payload)

    def from_me(self, person: WahaPerson, text: str) -> dict[str, Any]:
        """A message the organisation's phone sent to `person` (the bot's own, or a colleague's from the phone)."""
        event = self.message(person, text)
        event["payload"].update({"id": event["payload"]["id"].replace("false_", "true_", 1), "fromMe": True, "from": ME, "to": person.chat_id})
        return event

    def in_group(self, person: WahaPerson, text: str) -> dict[str, Any]:
        group = "120363000000000000@g.us"
        return self.message(person, text, message_id=f"false_{group}_{secrets.token_hex(10).upper()}", **{"from": group, "participant": person.chat_id})

    def status_update(self, person: WahaPerson, text: str) -> dict[str, Any]:
        """`person` posted a status (a story): WAHA reports it as a message from status@broadcast."""
        return self.message(person, text, **{"from": "status@broadcast", "participant": person.chat_id})

    def event(self, name: str, payload: dict[str, Any], session: str | None = None) -> dict[str, Any]:
        """WAHA's envelope around any event."""
        return {
            "id": f"evt_{secrets.token_hex(13)}",
            "timestamp": int(time.time() * 1000),
            "event": name,
            "session": session or self.session,
            "metadata": {},
            "me": {"id": ME, "pushName": "Permanence"},
            "payload": payload,
            "engine": "WEBJS",
        }

    def sign(self, body: bytes, key: str | None = None) -> dict[str, str]:
        """The headers WAHA adds to a webhook call when it has an HMAC key."""
        digest = hmac.new((key or self.hmac_key).encode(), body, hashlib.sha512).hexdigest()
        return {"X-Webhook-Hmac": digest, "X-Webhook-Hmac-Algorithm": "sha512"}

    async def post(self, client: httpx.AsyncClient, event: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
        """A webhook call as WAHA makes it to `client`'s /webhooks/waha: signed, unless `headers` are given."""
        body = json.dumps(event).encode()
        signed = self.sign(body) if headers is None else headers
        return await client.post("/webhooks/waha", content=body, headers={"Content-Type": "application/json", **signed})

    # --- Failures -------------------------------------------------------------------------------

    def down_for(self, seconds: float) -> None:
        """WAHA restarting: every sendText gets 503 for `seconds`."""
        self._down_until = time.monotonic() + seconds

    def fail_next(self, status: int, times: int = 1) -> None:
        self._failures += [status] * times

    # --- What the bot sent ----------------------------------------------------------------------

    def texts(self, person: WahaPerson, since: int = 0) -> list[str]:
        return [sent.text for sent in self.sent[since:] if sent.chat_id == person.chat_id]

    def mark(self) -> int:
        return len(self.sent)

    async def wait_sent(self, person: WahaPerson, count: int, timeout: float = 20) -> None:
        """Until `count` texts in all have been sent to `person`."""
        condition = self._sent_to[person.chat_id]
        async with condition:
            await asyncio.wait_for(condition.wait_for(lambda: len(self.texts(person)) >= count), timeout)

    # --- The server -----------------------------------------------------------------------------

    async def _send_text(self, request: Request) -> JSONResponse:
        if request.headers.get("x-api-key") != self.api_key:
            return self._refuse(401, {"message": "Unauthorized", "statusCode": 401})
        try:
            body = json.loads(await request.body())
        except ValueError:
            return self._refuse(400, {"message": "Invalid JSON", "statusCode": 400})
        self.calls.append(body)
        if time.monotonic() < self._down_until:
            return self._refuse(503, {"message": "Service Unavailable", "statusCode": 503})
        if self._failures:
            status = self._failures.pop(0)
            return self._refuse(status, {"message": "Failure the test asked for", "statusCode": status})
        if body.get("session") != self.session:
            return self._refuse(404, {"message": f"We didn't find a session with name '{body.get('session')}'", "statusCode": 404})
        chat_id, text = body.get("chatId"), body.get("text")
        if not isinstance(chat_id, str) or not chat_id.endswith(("@c.us", "@lid", "@g.us")) or not isinstance(text, str) or not text.strip():
            return self._refuse(400, {"message": "chatId and text are required", "statusCode": 400})
        sent = SentText(f"true_{chat_id}_{secrets.token_hex(10).upper()}", chat_id, text, body["session"])
        self.sent.append(sent)
        condition = self._sent_to[chat_id]
        async with condition:
            condition.notify_all()
        return JSONResponse({"id": sent.message_id, "timestamp": int(time.time()), "from": ME, "fromMe": True, "to": chat_id, "body": text})

    def _refuse(self, status: int, body: dict[str, Any]) -> JSONResponse:
        self.refused.append(status)
        return JSONResponse(body, status_code=status)
