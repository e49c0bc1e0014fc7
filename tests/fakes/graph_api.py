"""Meta's side of WhatsApp on 127.0.0.1, for the tests: the Cloud API's send endpoint, and the webhook calls.

Meta cannot be reached from here, so the bot's Graph API client talks to this server instead.
It answers POST /{version}/{phone_number_id}/messages as the Cloud API does — the bearer token
checked, the payload's shape and WhatsApp's limits checked (a message over one of them is
refused whole, with Meta's error), the 24-hour window kept per person (outside it, only a
template goes through: error 131047) — and records what each person would see. It can be told
to fail the next calls (429, 5xx, Meta's error codes).

It also writes what Meta posts to the bot's webhook, in the documented shapes (a message, a
button or list reply, a sticker, a delivery status), signed with the app secret as Meta signs.
"""

import asyncio
import hashlib
import hmac
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fakes.loopback import LoopbackFake

ACCESS_TOKEN = "EAAG-fake-access-token-for-the-loopback-graph-api"
APP_SECRET = "fake-meta-app-secret-0123456789"
VERIFY_TOKEN = "a-verify-token-we-chose"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_PHONE_NUMBER = "3225550100"
WABA_ID = "102290129340398"
VERSION = "v21.0"
TEMPLATE_NAME = "answer_waiting"

MAX_TEXT = 4096
MAX_INTERACTIVE_BODY = 1024


class Refused(Exception):
    """Meta's error for a message it will not take: (HTTP status, code, details)."""

    def __init__(self, status: int, code: int, details: str):
        super().__init__(details)
        self.status, self.code, self.details = status, code, details


@dataclass(frozen=True)
class WaPerson:
    wa_id: str
    """Their phone number, as WhatsApp gives it."""
    name: str = "Amina"
    """Their WhatsApp profile name: the bot must never show or keep it."""


@dataclass(frozen=True)
class Sent:
    wamid: str
    to: str
    payload: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.payload["type"] if self.payload["type"] != "interactive" else self.payload["interactive"]["type"]

    @property
    def text(self) -> str:
        """What the person reads: the text, or the body of buttons or a list; a template's name."""
        if self.payload["type"] == "text":
            return self.payload["text"]["body"]
        if self.payload["type"] == "interactive":
            return self.payload["interactive"]["body"]["text"]
        return self.payload["template"]["name"]

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(id, title) of each reply button or list row."""
        if self.payload["type"] != "interactive":
            return []
        action = self.payload["interactive"]["action"]
        if "buttons" in action:
            return [(b["reply"]["id"], b["reply"]["title"]) for b in action["buttons"]]
        return [(row["id"], row["title"]) for section in action["sections"] for row in section["rows"]]


class FakeGraphApi(LoopbackFake):
    """Served on loopback while its `async with` block runs; `url` is the root WHATSAPP_API_BASE_URL takes."""

    def __init__(self, token: str = ACCESS_TOKEN, app_secret: str = APP_SECRET, phone_number_id: str = PHONE_NUMBER_ID):
        super().__init__([Route("/{version}/{phone_number_id}/messages", self._messages, methods=["POST"])])
        self.token = token
        self.app_secret = app_secret
        self.phone_number_id = phone_number_id
        self.calls: list[dict[str, Any]] = []
        """Every request body, refused ones too."""
        self.sent: list[Sent] = []
        """Every message taken, in order."""
        self.refused: list[tuple[int, dict[str, Any]]] = []
        """(error code, body) of every message refused."""
        self.closed_windows: set[str] = set()
        self.blocked_by: set[str] = set()
        self._failures: list[tuple[int, int | None, float | None] | None] = []
        """What the next sends get: an error, or None to go through."""
        self._next_id = 1
        self._sent_to: dict[str, asyncio.Condition] = defaultdict(asyncio.Condition)

    # --- What Meta posts to the bot's webhook ---------------------------------------------------

    def message(self, person: WaPerson, text: str | None = None, **content: Any) -> dict[str, Any]:
        """`person` writes `text` (or sends `content`, e.g. **STICKER); their 24-hour window opens."""
        self.closed_windows.discard(person.wa_id)
        item: dict[str, Any] = {"from": person.wa_id, "id": self._wamid(), "timestamp": str(int(time.time()))}
        item.update({"type": "text", "text": {"body": text}} if text is not None else content)
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DISPLAY_PHONE_NUMBER, "phone_number_id": self.phone_number_id},
            "contacts": [{"profile": {"name": person.name}, "wa_id": person.wa_id}],
            "messages": [item],
        }
        return _notification(value)

    def press(self, person: WaPerson, choice: str) -> dict[str, Any]:
        """`person` taps the reply button or list row with this id or title, on the latest message to them that has it."""
        for sent in reversed(self.messages_to(person)):
            for choice_id, title in sent.choices:
                if choice in (choice_id, title):
                    kind = "button_reply" if sent.kind == "button" else "list_reply"
                    reply = {"type": kind, kind: {"id": choice_id, "title": title}}
                    return self.message(person, type="interactive", interactive=reply, context={"from": DISPLAY_PHONE_NUMBER, "id": sent.wamid})
        raise LookupError(f"no choice {choice!r} in the messages to {person.wa_id}")

    def status(self, sent: Sent, status: str, error_code: int | None = None) -> dict[str, Any]:
        """WhatsApp's report on a message the bot sent: sent, delivered, read, or failed with an error."""
        item: dict[str, Any] = {"id": sent.wamid, "status": status, "timestamp": str(int(time.time())), "recipient_id": sent.to}
        if error_code is not None:
            item["errors"] = [{"code": error_code, "title": "Error", "message": "Error", "error_data": {"details": "Error"}}]
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DISPLAY_PHONE_NUMBER, "phone_number_id": self.phone_number_id},
            "statuses": [item],
        }
        return _notification(value)

    def sign(self, body: bytes) -> str:
        """The X-Hub-Signature-256 header Meta puts on a webhook call."""
        return "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()

    # --- The 24-hour window and failures ----------------------------------------------------------

    def close_window(self, person: WaPerson) -> None:
        """24 hours passed since `person` last wrote: only a template reaches them now."""
        self.closed_windows.add(person.wa_id)

    def fail_next(self, http_status: int, code: int | None = None, retry_after: float | None = None, times: int = 1, after: int = 0) -> None:
        """`times` sends, once `after` more have gone through, get this error (code: Meta's error code in the body)."""
        self._failures += [None] * after + [(http_status, code, retry_after)] * times

    # --- What the bot sent ------------------------------------------------------------------------

    def messages_to(self, person: WaPerson, since: int = 0) -> list[Sent]:
        return [sent for sent in self.sent[since:] if sent.to == person.wa_id]

    def texts(self, person: WaPerson, since: int = 0) -> list[str]:
        return [sent.text for sent in self.messages_to(person, since) if sent.kind != "template"]

    def choice_ids(self, person: WaPerson, since: int = 0) -> list[str]:
        return [choice_id for sent in self.messages_to(person, since) for choice_id, _title in sent.choices]

    def templates(self, person: WaPerson) -> list[dict[str, Any]]:
        return [sent.payload["template"] for sent in self.messages_to(person) if sent.kind == "template"]

    def mark(self) -> int:
        return len(self.sent)

    async def wait_sent(self, person: WaPerson, count: int, timeout: float = 20) -> None:
        """Until `count` messages in all have been sent to `person`."""
        condition = self._sent_to[person.wa_id]
        async with condition:
            await asyncio.wait_for(condition.wait_for(lambda: len(self.messages_to(person)) >= count), timeout)

    # --- The server -------------------------------------------------------------------------------

    async def _messages(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, 190, "Error validating access token: the session is invalid.")
        if request.path_params["phone_number_id"] != self.phone_number_id or request.path_params["version"] != VERSION:
            return _error(400, 100, "Unsupported post request: unknown phone number id or version.")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(400, 100, "Invalid JSON")
        self.calls.append(body)
        failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            status, code, retry_after = failure
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
            return _error(status, code, "Failure the test asked for.", headers)
        try:
            _check(body)
            to = body["to"]
            if to in self.blocked_by:
                raise Refused(400, 131026, "Message undeliverable.")
            if to in self.closed_windows and body["type"] != "template":
                raise Refused(400, 131047, "More than 24 hours have passed since the recipient last replied to the sender number.")
        except (KeyError, TypeError):
            self.refused.append((100, body))
            return _error(400, 100, "Invalid parameter: the message is not in the Cloud API's shape.")
        except Refused as refused:
            self.refused.append((refused.code, body))
            return _error(refused.status, refused.code, refused.details)
        sent = Sent(self._wamid(), to, body)
        self.sent.append(sent)
        condition = self._sent_to[to]
        async with condition:
            condition.notify_all()
        return JSONResponse({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": sent.wamid}]})

    def _wamid(self) -> str:
        self._next_id += 1
        return f"wamid.HBgLMzI0NzAwMDAwMDAVAgARGBI{self._next_id:012d}AA=="


def _notification(value: dict[str, Any]) -> dict[str, Any]:
    return {"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}]}


def _check(body: dict[str, Any]) -> None:
    """The Cloud API's rules for the messages the bot sends (error 100 / 131009 as Meta answers them)."""
    if body.get("messaging_product") != "whatsapp" or not body.get("to"):
        raise Refused(400, 100, "messaging_product and to are required.")
    kind = body.get("type")
    if kind == "text":
        _length(body["text"]["body"], MAX_TEXT, "text.body")
    elif kind == "interactive":
        _check_interactive(body["interactive"])
    elif kind == "template":
        template = body["template"]
        if template.get("name") != TEMPLATE_NAME or not template.get("language", {}).get("code"):
            raise Refused(404, 132001, "Template name does not exist in the translation.")
    else:
        raise Refused(400, 131009, f"Unsupported message type {kind!r}.")


def _check_interactive(interactive: dict[str, Any]) -> None:
    _length(interactive["body"]["text"], MAX_INTERACTIVE_BODY, "interactive.body.text")
    action = interactive["action"]
    if interactive["type"] == "button":
        buttons = action["buttons"]
        if not 1 <= len(buttons) <= 3:
            raise Refused(400, 131009, "Reply buttons: 1 to 3 buttons.")
        choices = [(b["reply"]["id"], b["reply"]["title"]) for b in buttons if b.get("type") == "reply"]
        id_limit, title_limit = 256, 20
    elif interactive["type"] == "list":
        _length(action["button"], 20, "action.button")
        sections = action["sections"]
        if not 1 <= len(sections) <= 10 or (len(sections) > 1 and not all(s.get("title") for s in sections)):
            raise Refused(400, 131009, "List: 1 to 10 sections, titled when more than one.")
        choices = [(row["id"], row["title"]) for section in sections for row in section["rows"]]
        if not 1 <= len(choices) <= 10:
            raise Refused(400, 131009, "List: 1 to 10 rows in all.")
        id_limit, title_limit = 200, 24
    else:
        raise Refused(400, 131009, "Unsupported interactive type.")
    for choice_id, title in choices:
        _length(choice_id, id_limit, "id")
        _length(title, title_limit, "title")
    ids, titles = [c[0] for c in choices], [c[1] for c in choices]
    if len(set(ids)) != len(ids) or len(set(titles)) != len(titles):
        raise Refused(400, 131009, "Button and row ids and titles must be unique.")


def _length(text: object, limit: int, what: str) -> None:
    if not isinstance(text, str) or not text.strip() or len(text) > limit:
        raise Refused(400, 131009, f"Parameter value is not valid: {what} must be 1 to {limit} characters.")


def _error(status: int, code: int | None, details: str, headers: dict[str, str] | None = None) -> JSONResponse:
    error: dict[str, Any] = {"message": f"(#{code}) {details}", "type": "OAuthException", "error_data": {"messaging_product": "whatsapp", "details": details}}
    if code is not None:
        error["code"] = code
    return JSONResponse({"error": error}, status_code=status, headers=headers)


STICKER = {"type": "sticker", "sticker": {"mime_type": "image/webp", "sha256": "c2hh", "id": "1234567890", "animated": False}}
VOICE = {"type": "audio", "audio": {"mime_type": "audio/ogg; codecs=opus", "sha256": "c2hh", "id": "1234567891", "voice": True}}
IMAGE = {"type": "image", "image": {"mime_type": "image/jpeg", "sha256": "c2hh", "id": "1234567892"}}
LOCATION = {"type": "location", "location": {"latitude": 50.85, "longitude": 4.35}}
REACTION = {"type": "reaction", "reaction": {"message_id": "wamid.x", "emoji": "👍"}}
