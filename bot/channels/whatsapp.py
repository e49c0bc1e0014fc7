"""The WhatsApp channel: the Cloud API webhook between Meta and the engine.

Meta posts signed JSON to /webhooks/whatsapp. A call is checked (its signature, over the raw
body, before anything is parsed), answered 200 at once — Meta repeats a call that waits — and
handled in the background: several people at once, one person's messages in order, a message
Meta delivers twice answered once (the ids are noted in the database, so this holds across
bot processes).

Privacy: the engine receives the person's WhatsApp id (their phone number) as `external_id`
and turns it into a pseudonym at once; the profile name is never read. Nothing here logs a
text, a number or an id.
"""

import asyncio
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.channels.turns import Turns
from bot.channels.whatsapp_api import GraphApi, WhatsAppSender, result_of_error
from bot.engine import Engine
from bot.messages import DeliveryResult, InboundMessage, MessageKind, Reply, RetryLater, Undeliverable, reply_to_body
from bot.settings import Settings
from handover.outbox import Outbox

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
WEBHOOK_PATH = "/webhooks/whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_BODY = 3 * 1024 * 1024
"""Meta's webhook calls stay under 3 MB; anything bigger is refused before it fills the memory."""
CONCURRENT_MESSAGES = 64
"""Messages handled at once, all people together: well inside the database connection pool."""

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


def events(payload: object, phone_number_id: str) -> list[InboundMessage | StatusUpdate]:
    """The messages and statuses of one webhook call for the bot's number, in order; anything else is left."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return []
    found: list[InboundMessage | StatusUpdate] = []
    for entry in _dicts(payload.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            if not isinstance(metadata, dict) or metadata.get("phone_number_id") != phone_number_id:
                continue  # another number of the same Meta app: the bot cannot answer from it
            found += filter(None, map(incoming, _dicts(value.get("messages"))))
            found += filter(None, map(status_update, _dicts(value.get("statuses"))))
    return found


def incoming(item: dict) -> InboundMessage | None:
    """A person's message as the engine takes it; None for what is not to be answered (groups, reactions…)."""
    wa_id, message_id, kind = item.get("from"), item.get("id"), item.get("type")
    if not isinstance(wa_id, str) or not wa_id or not isinstance(message_id, str) or item.get("group_id") or kind in _IGNORED:
        return None
    text, payload, mapped = "", None, _KINDS.get(str(kind), "other")
    content = item.get(str(kind)) if isinstance(item.get(str(kind)), dict) else {}
    if kind == "text":
        mapped, text = "text", str(content.get("body", ""))
    elif kind == "button":  # a quick-reply button of a template: its label, as if typed
        mapped, text = "text", str(content.get("text", ""))
    elif kind == "interactive":
        reply = content.get(str(content.get("type")))
        if content.get("type") in ("button_reply", "list_reply") and isinstance(reply, dict) and reply.get("id"):
            mapped, payload = "button", str(reply["id"])
    return InboundMessage(CHANNEL, external_id=wa_id, address=wa_id, kind=mapped, text=text, payload=payload, delivery_id=message_id)


def status_update(item: dict) -> StatusUpdate | None:
    message_id, status = item.get("id"), item.get("status")
    if not isinstance(message_id, str) or not isinstance(status, str):
        return None
    errors = _dicts(item.get("errors"))
    code = errors[0].get("code") if errors else None
    return StatusUpdate(message_id, status, code if isinstance(code, int) else None)


class WhatsAppChannel:
    """Handles what the webhook accepted: messages through the engine, failed statuses through the outbox."""

    def __init__(self, engine: Engine, sender: WhatsAppSender, phone_number_id: str, verify_token: str, app_secret: str):
        self.engine = engine
        self.storage = engine.storage
        self.sender = sender
        self.phone_number_id = phone_number_id
        self._verify_token = verify_token
        self._app_secret = app_secret
        self.outbox: Outbox | None = None
        """The handover's outbox, once it runs: failed deliveries of staff replies go back to it."""
        self._turns = Turns()
        self._slots = asyncio.Semaphore(CONCURRENT_MESSAGES)
        self._tasks: set[asyncio.Task] = set()

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine) -> "WhatsAppChannel":
        """Settings.whatsapp_enabled: every WhatsApp setting is there (the settings check that it is all or nothing)."""
        assert settings.whatsapp_template_name and settings.whatsapp_phone_number_id
        assert settings.whatsapp_verify_token is not None and settings.whatsapp_app_secret is not None
        sender = WhatsAppSender(GraphApi.from_settings(settings), engine.catalogs, settings.whatsapp_template_name, settings.whatsapp_template_languages)
        return cls(
            engine,
            sender,
            settings.whatsapp_phone_number_id,
            settings.whatsapp_verify_token.get_secret_value(),
            settings.whatsapp_app_secret.get_secret_value(),
        )

    def accept(self, payload: object) -> None:
        """Takes a checked webhook call in hand and returns at once; the work goes on in the background."""
        for event in events(payload, self.phone_number_id):
            work = self._message(event) if isinstance(event, InboundMessage) else self._status(event)
            task = asyncio.create_task(work)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Until everything accepted so far is handled."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def aclose(self) -> None:
        """The messages in hand are finished first (at shutdown: Meta will not send them again)."""
        await self.drain()
        await self.sender.api.aclose()

    def routes(self) -> list[Route]:
        """GET: Meta's verification handshake; POST: the signed notifications."""

        async def verify(request: Request) -> Response:
            params = request.query_params
            token = params.get("hub.verify_token", "")
            if params.get("hub.mode") == "subscribe" and hmac.compare_digest(token.encode(), self._verify_token.encode()):
                return PlainTextResponse(params.get("hub.challenge", ""))
            return PlainTextResponse("wrong verify token", status_code=403)

        async def receive(request: Request) -> Response:
            body = await _read(request, MAX_BODY)
            if body is None:
                return PlainTextResponse("too large", status_code=413)
            if not signature_ok(body, request.headers.get(SIGNATURE_HEADER), self._app_secret):
                log.warning("A WhatsApp webhook call with a wrong or missing signature was refused.")
                return PlainTextResponse("wrong or missing signature", status_code=403)
            try:
                payload = json.loads(body)
            except ValueError:
                log.warning("A signed WhatsApp webhook call that is not JSON was refused.")
                return PlainTextResponse("malformed", status_code=400)
            self.accept(payload)
            return Response()

        return [Route(WEBHOOK_PATH, verify, methods=["GET"]), Route(WEBHOOK_PATH, receive, methods=["POST"])]

    # --- In the background -----------------------------------------------------------------------

    async def _message(self, message: InboundMessage) -> None:
        """A message delivered a second time gets no replies from the engine."""
        wa_id = message.address
        async with self._turns.of(wa_id), self._slots:
            try:
                await self._answer(wa_id, await self.engine.handle(message))
            except Exception:
                log.error("Handling a WhatsApp message failed.", exc_info=True)
                t = self.engine.catalogs.translator(None)
                await self.sender.deliver(wa_id, Reply(t.gettext("Sorry, something went wrong on my side. Please write your message again in a moment."), t.lang))

    async def _status(self, update: StatusUpdate) -> None:
        """Only a failure matters (delivered and read are not kept): the outbox holds, retries or tells the staff."""
        if update.status != "failed" or self.outbox is None:
            return
        log.info("WhatsApp reported a message it could not deliver (error %s).", update.error_code)
        try:
            await self.outbox.failed_later(CHANNEL, update.message_id, result_of_error(update.error_code))
        except Exception:
            log.error("Handling a WhatsApp delivery failure failed.", exc_info=True)

    async def _answer(self, wa_id: str, replies: list[Reply]) -> None:
        """The replies in order; when WhatsApp is busy, what is left goes to the outbox rather than being lost."""
        for index, reply in enumerate(replies):
            result, unsent = await self.sender.deliver(wa_id, reply)
            if isinstance(result, Undeliverable):
                log.info("A WhatsApp reply was not delivered (%s).", result.reason)
                return
            if unsent is not None:
                await self._queue(wa_id, [unsent, *replies[index + 1 :]], result)
                return

    async def _queue(self, wa_id: str, replies: list[Reply], result: DeliveryResult) -> None:
        now = self.engine.clock()
        due = now + timedelta(seconds=result.seconds) if isinstance(result, RetryLater) else now
        async with self.storage.unit() as repo:
            user = await repo.user(self.engine.pseudonym_of(CHANNEL, wa_id))
            if user is None:  # erased meanwhile (/forget)
                return
            for reply in replies:
                await repo.enqueue(CHANNEL, wa_id, reply_to_body(reply), now, user=user, due_at=due)
        log.info("WhatsApp could not take a reply now (%s): %d message(s) queued.", type(result).__name__, len(replies))
        if self.outbox is not None:
            self.outbox.wake()

def _dicts(value: object) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


async def _read(request: Request, limit: int) -> bytes | None:
    """The raw body (the signature is over its exact bytes), or None past `limit`."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
