"""The WAHA channel: WhatsApp numbers the organisation connects through WAHA, the self-hosted WhatsApp HTTP API.

WAHA posts each event to /webhooks/waha (its WHATSAPP_HOOK_URL). A call is checked (its size, then
its HMAC over the raw body when WAHA_HMAC_KEY is set, before anything is parsed), a person's
message stored in the inbox (bot/inbox/), and only then answered 200: WAHA sends a call again when
it fails. Everything else (the bot's own messages, groups, status updates, acks, session changes,
another session's events) is answered 200 and left. The inbox's workers hand each message to the
engine once, in order per person, even when WAHA delivers it twice (one row per message id).

The replies go back through WAHA's sendText (bot/channels/waha/api.py); WAHA shows no buttons
reliably, so the engine writes the choices into the text as a numbered list (`numbered`).

Privacy: a person's chat id is their phone number. The engine turns it into a pseudonym at once;
the push name WAHA sends is never read; nothing here logs a text, a number or an id.

WAHA's documentation followed: https://waha.devlike.pro/docs/how-to/events/ (the envelope, the
HMAC headers), https://waha.devlike.pro/docs/how-to/receive-messages/ (the message payload, chat
ids), https://waha.devlike.pro/docs/how-to/send-messages/ (sendText),
https://waha.devlike.pro/docs/how-to/security/ (X-Api-Key).
"""

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.channels.base import Capabilities, Channel, ChannelParts, Hub
from bot.channels.waha.api import WahaApi
from bot.channels.waha.events import ALGORITHM_HEADER, CHANNEL, HMAC_HEADER, Malformed, incoming, signature_ok
from bot.channels.waha.render import MAX_TEXT, pieces
from bot.engine import Engine
from bot.inbox.replies import answer_stored
from bot.inbox.stored import apology_address, inbox_row, stored_message
from bot.messages import Delivered, DeliveryResult, InboundMessage, Reply
from bot.settings import Settings
from bot.storage.inbox_queries import Claimed
from bot.web import parse_object, read_body

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/waha"
MAX_BODY = 1024 * 1024
"""One event per call: a text of WhatsApp's 65,536 characters at most, with WAHA's fields and the
engine's raw copy of it, stays well under 1 MB (media come as a URL, never inline)."""


class WahaChannel(Channel):
    """Messages through the inbox (stored before WAHA's 200, handled by its worker), replies through sendText."""

    name = CHANNEL
    capabilities = Capabilities(buttons=False, max_text=MAX_TEXT, protects_content=False)

    def __init__(self, engine: Engine, api: WahaApi, hmac_key: str | None):
        self.engine = engine
        self.api = api
        self._hmac_key = hmac_key
        self._hub: Hub | None = None

    @classmethod
    def from_settings(cls, settings: Settings, parts: ChannelParts) -> "WahaChannel":
        key = settings.waha_hmac_key.get_secret_value() if settings.waha_hmac_key is not None else None
        return cls(parts.engine, WahaApi.from_settings(settings), key)

    async def start(self, hub: Hub) -> None:
        self._hub = hub
        if self._hmac_key is None:
            log.warning("WAHA_HMAC_KEY is not set: the WAHA webhook takes unsigned calls. Set it here and as WHATSAPP_HOOK_HMAC_KEY in WAHA.")
        log.info("The WAHA webhook is ready (%s, session %s).", WEBHOOK_PATH, self.api.session)

    async def stop(self) -> None:
        """Calls that come now are answered 503: WAHA sends them again, to the next run."""
        self._hub = None

    async def aclose(self) -> None:
        await self.api.aclose()

    async def send(self, address: str, reply: Reply) -> DeliveryResult:
        """Piece by piece; a retry after a partial failure sends the whole reply again (as on WhatsApp's Cloud API)."""
        result: DeliveryResult = Delivered()
        for piece in pieces(reply):
            result = await self.api.send_text(address, piece)
            if not isinstance(result, Delivered):
                return result
        return result

    def routes(self) -> list[Route]:
        async def receive(request: Request) -> Response:
            """Size, then signature, then shape: each refusal before anything is handled, and none logs the body."""
            body = await read_body(request, MAX_BODY)
            if body is None:
                log.warning("A WAHA webhook call larger than %d bytes was refused.", MAX_BODY)
                return PlainTextResponse("too large", status_code=413)
            if self._hmac_key is not None and not signature_ok(body, request.headers.get(HMAC_HEADER), request.headers.get(ALGORITHM_HEADER), self._hmac_key):
                log.warning("A WAHA webhook call with a wrong or missing signature was refused.")
                return PlainTextResponse("wrong or missing signature", status_code=401)
            try:
                message = self._message(body)
            except Malformed:
                log.warning("A WAHA webhook call that is not a well-formed event was refused.")
                return PlainTextResponse("malformed", status_code=400)
            hub = self._hub
            if hub is None:
                return PlainTextResponse("not started yet", status_code=503)
            if message is None:
                return Response()
            try:
                await hub.store([self._inbox_item(message)])
            except Exception as error:  # the database stayed away: WAHA sends the call again
                log.warning("A WAHA webhook call could not be stored (%s); WAHA will send it again.", type(error).__name__)
                return PlainTextResponse("try again later", status_code=503)
            return Response()

        return [Route(WEBHOOK_PATH, receive, methods=["POST"])]

    def _message(self, body: bytes) -> InboundMessage | None:
        """The person's message in a checked body; None for an event that is not one; Malformed when it cannot be read."""
        envelope = parse_object(body)
        if envelope is None:
            raise Malformed("not a JSON object")
        return incoming(envelope, self.api.session)

    def _inbox_item(self, message: InboundMessage) -> dict[str, Any]:
        """What handling the message needs, and no more (the push name is not kept)."""
        return inbox_row(self.engine.pseudonym_of, CHANNEL, message.delivery_id, message.address, message.kind, message.text)

    async def handle(self, item: Claimed) -> bool:
        """The stored message through the engine, its replies stored with the row marked done, then sent."""
        await answer_stored(self.engine, self, stored_message(item, CHANNEL, numbered=True))
        return True

    def apology_to(self, payload: dict[str, Any]) -> str | None:
        return apology_address(payload)
