"""The WhatsApp channel: the Cloud API webhook between Meta and the engine.

Meta posts signed JSON to /webhooks/whatsapp. A call is checked (its signature, over the raw
body, before anything is parsed), its messages stored in the inbox (bot/inbox/), and only then
answered 200 — quickly: Meta repeats a call that waits. The inbox's workers handle them: several
people at once, one person's messages in order, a message Meta delivers twice answered once (the
inbox keeps one row per message id, so this holds across bot processes).

Privacy: the engine receives the person's WhatsApp id (their phone number) as `external_id`
and turns it into a pseudonym at once; the profile name is never read. Nothing here logs a
text, a number or an id.
"""

import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.channels.base import Capabilities, Channel, ChannelParts, Hub
from bot.channels.whatsapp.api import GraphApi, WhatsAppSender, result_of_error
from bot.channels.whatsapp.render import MAX_TEXT
from bot.engine import Engine
from bot.errors import Unreadable
from bot.inbox.replies import answer_stored
from bot.inbox.stored import apology_address, inbox_row, stored_message
from bot.messages import DeliveryResult, InboundMessage, MessageKind, Reply
from bot.settings import Settings
from bot.storage.inbox_queries import Claimed
from bot.web import parse_object, read_body

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
WEBHOOK_PATH = "/webhooks/whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_BODY = 3 * 1024 * 1024
"""Meta's webhook calls stay under 3 MB (a batch of up to 1000 notifications, texts of 4096
characters at most); anything bigger is refused before it fills the memory."""

_KINDS: dict[str, MessageKind] = {
    "image": "photo",
    "audio": "voice",
    "sticker": "sticker",
    "video": "video",
    "document": "document",
    "location": "location",
    "contacts": "contact",
}
_IGNORED = frozenset({"reaction", "system", "request_welcome"})
"""Not something to answer: an emoji on a message, a number change, a chat opened for the first time."""


@dataclass(frozen=True)
class StatusUpdate:
    message_id: str
    status: str
    """sent, delivered, read or failed."""
    error_code: int | None = None


def signature_ok(body: bytes, header: str | None, app_secret: str) -> bool:
    """X-Hub-Signature-256 is `sha256=` and the HMAC-SHA256 of the raw body with the app secret."""
    if header is None:
        return False
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


class Malformed(Unreadable):
    """A signed call whose fields do not have the types Meta documents: refused with 400, not guessed at."""


def events(payload: dict[str, Any], phone_number_id: str) -> list[InboundMessage | StatusUpdate]:
    """The messages and statuses of one webhook call for the bot's number, in order; anything else is left.

    A field the bot reads that is there with the wrong type (`"type": ["text"]`, a message that is
    a string) raises Malformed; a field that is not there means "not for the bot", as before.
    """
    if payload.get("object") != "whatsapp_business_account":
        return []
    found: list[InboundMessage | StatusUpdate] = []
    for entry in _objects(payload.get("entry")):
        for change in _objects(entry.get("changes")):
            if change.get("field") != "messages":
                continue
            value = _object(change.get("value"))
            if _object(value.get("metadata")).get("phone_number_id") != phone_number_id:
                continue  # another number of the same Meta app: the bot cannot answer from it
            found += filter(None, map(incoming, _objects(value.get("messages"))))
            found += filter(None, map(status_update, _objects(value.get("statuses"))))
    return found


def incoming(item: dict) -> InboundMessage | None:
    """A person's message as the engine takes it; None for what is not to be answered (groups, reactions…)."""
    wa_id, message_id, kind = _text(item, "from"), _text(item, "id"), _text(item, "type")
    if not wa_id or not message_id or item.get("group_id") or kind in _IGNORED:
        return None
    text, payload, mapped = "", None, _KINDS.get(str(kind), "other")
    if kind == "text":
        mapped, text = "text", _text(_object(item.get("text")), "body") or ""
    elif kind == "button":  # a quick-reply button of a template: its label, as if typed
        mapped, text = "text", _text(_object(item.get("button")), "text") or ""
    elif kind == "interactive":
        content = _object(item.get("interactive"))
        reply_kind = _text(content, "type")
        reply = _object(content.get(str(reply_kind)))
        reply_id = _text(reply, "id")
        if reply_kind in ("button_reply", "list_reply") and reply_id:
            mapped, payload = "button", reply_id
    return InboundMessage(CHANNEL, external_id=wa_id, address=wa_id, kind=mapped, text=text, payload=payload, delivery_id=message_id)


def status_update(item: dict) -> StatusUpdate | None:
    message_id, status = _text(item, "id"), _text(item, "status")
    if message_id is None or status is None:
        return None
    errors = _objects(item.get("errors"))
    code = errors[0].get("code") if errors else None
    if code is not None and (not isinstance(code, int) or isinstance(code, bool)):
        raise Malformed("an error code that is not a number")
    return StatusUpdate(message_id, status, code)


class WhatsAppChannel(Channel):
    """Messages through the inbox (stored before Meta's 200, handled by its worker), failed statuses to the outbox."""

    name = CHANNEL
    capabilities = Capabilities(buttons=True, max_text=MAX_TEXT, protects_content=False)

    def __init__(self, engine: Engine, sender: WhatsAppSender, phone_number_id: str, verify_token: str, app_secret: str):
        self.engine = engine
        self.sender = sender
        self.phone_number_id = phone_number_id
        self._verify_token = verify_token
        self._app_secret = app_secret
        self._hub: Hub | None = None

    @classmethod
    def from_settings(cls, settings: Settings, parts: ChannelParts) -> "WhatsAppChannel":
        """Settings.whatsapp_enabled: every WhatsApp setting is there (the settings check that it is all or nothing)."""
        assert settings.whatsapp_template_name and settings.whatsapp_phone_number_id
        assert settings.whatsapp_verify_token is not None and settings.whatsapp_app_secret is not None
        engine = parts.engine
        sender = WhatsAppSender(GraphApi.from_settings(settings), engine.catalogs, settings.whatsapp_template_name, settings.whatsapp_template_languages)
        return cls(
            engine,
            sender,
            settings.whatsapp_phone_number_id,
            settings.whatsapp_verify_token.get_secret_value(),
            settings.whatsapp_app_secret.get_secret_value(),
        )

    async def start(self, hub: Hub) -> None:
        self._hub = hub
        log.info("The WhatsApp webhook is ready (%s).", WEBHOOK_PATH)

    async def stop(self) -> None:
        """Calls that come now are answered 503: Meta sends them again, to the next run."""
        self._hub = None

    async def aclose(self) -> None:
        await self.sender.api.aclose()

    async def send(self, address: str, reply: Reply) -> DeliveryResult:
        return await self.sender.send(address, reply)

    async def announce_held(self, address: str, lang: str) -> DeliveryResult:
        return await self.sender.announce_held(address, lang)

    def routes(self) -> list[Route]:
        """GET: Meta's verification handshake; POST: the signed notifications."""

        async def verify(request: Request) -> Response:
            params = request.query_params
            token = params.get("hub.verify_token", "")
            if params.get("hub.mode") == "subscribe" and hmac.compare_digest(token.encode(), self._verify_token.encode()):
                return PlainTextResponse(params.get("hub.challenge", ""))
            return PlainTextResponse("wrong verify token", status_code=403)

        async def receive(request: Request) -> Response:
            """Size, then signature, then shape: each refusal before anything is handled, and none logs the body."""
            body = await read_body(request, MAX_BODY)
            if body is None:
                log.warning("A WhatsApp webhook call larger than %d bytes was refused.", MAX_BODY)
                return PlainTextResponse("too large", status_code=413)
            if not signature_ok(body, request.headers.get(SIGNATURE_HEADER), self._app_secret):
                log.warning("A WhatsApp webhook call with a wrong or missing signature was refused.")
                return PlainTextResponse("wrong or missing signature", status_code=403)
            found = self._events(body)
            if found is None:
                log.warning("A signed WhatsApp webhook call that is not a well-formed notification was refused.")
                return PlainTextResponse("malformed", status_code=400)
            hub = self._hub
            if hub is None:
                return PlainTextResponse("not started yet", status_code=503)
            try:
                await hub.store([self._inbox_item(event) for event in found if isinstance(event, InboundMessage)])
                for event in found:
                    if isinstance(event, StatusUpdate):
                        await self._status(hub, event)
            except Exception as error:  # the database stayed away: Meta sends the call again later
                log.warning("A WhatsApp webhook call could not be stored (%s); Meta will send it again.", type(error).__name__)
                return PlainTextResponse("try again later", status_code=503)
            return Response()

        return [Route(WEBHOOK_PATH, verify, methods=["GET"]), Route(WEBHOOK_PATH, receive, methods=["POST"])]

    def _events(self, body: bytes) -> list[InboundMessage | StatusUpdate] | None:
        """The events of a signed body; None when it is not a JSON object (of bounded nesting) or is mistyped."""
        payload = parse_object(body)
        if payload is None:
            return None
        try:
            return events(payload, self.phone_number_id)
        except Malformed:
            return None

    def _inbox_item(self, message: InboundMessage) -> dict[str, Any]:
        """What handling the message needs, and no more (the profile name is not kept)."""
        return inbox_row(self.engine.pseudonym_of, CHANNEL, message.delivery_id, message.address, message.kind, message.text, message.payload)

    async def handle(self, item: Claimed) -> bool:
        """The stored message through the engine, its replies stored with the row marked done, then sent."""
        await answer_stored(self.engine, self.sender, stored_message(item, CHANNEL))
        return True

    def apology_to(self, payload: dict[str, Any]) -> str | None:
        return apology_address(payload)

    async def _status(self, hub: Hub, update: StatusUpdate) -> None:
        """Only a failure matters (delivered and read are not kept): the outbox holds, retries or tells the staff."""
        if update.status != "failed":
            return
        log.info("WhatsApp reported a message it could not deliver (error %s).", update.error_code)
        await hub.delivery_failed(CHANNEL, update.message_id, result_of_error(update.error_code))


def _objects(value: object) -> list[dict]:
    """A list of objects; nothing for a field that is not there."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise Malformed("a list of objects expected")
    return value


def _object(value: object) -> dict:
    """An object; an empty one for a field that is not there."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Malformed("an object expected")
    return value


def _text(item: dict, key: str) -> str | None:
    """A string field; None when it is not there."""
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise Malformed("a string expected")
    return value
