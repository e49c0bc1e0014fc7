"""The generic bridge channel: signed messages in at POST /bridge/v1/messages, signed replies out to BRIDGE_SEND_URL.

A call is checked in the order that costs an attacker most and the bot least: its size, its
signature and timestamp (over the raw body, before anything is parsed), then its fields. Only
then is the message stored in the inbox, and only once it is stored is the bridge told
"accepted": a crash after that loses nothing. A repeated id is "duplicate": the inbox keeps one
row per id, across restarts and bot processes, so a bridge that repeats a call (or an attacker
who replays it within the window) gets the message handled once.

The bridge has no buttons: every message is handed to the engine as `numbered`, so that the
replies spell their choices as numbered lines and a bare "2" stands for the second one.

Privacy: the sender's address is the person's id on the bridge's platform (often a phone
number); the engine turns it into a pseudonym at once. No refusal logs the call's content.
"""

import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.channels.base import Capabilities, Channel, ChannelParts, Hub
from bot.channels.bridge.incoming import MAX_TEXT, BridgeMessage, Malformed, message_of
from bot.channels.bridge.outgoing import BridgeSender
from bot.channels.bridge.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, refusal
from bot.engine import Engine
from bot.inbox.replies import answer_stored
from bot.inbox.stored import apology_address, inbox_row, stored_message
from bot.messages import DeliveryResult, Reply
from bot.settings import Settings
from bot.storage.inbox_queries import Claimed
from bot.web import parse_object, read_body

log = logging.getLogger(__name__)

CHANNEL = "bridge"
MESSAGES_PATH = "/bridge/v1/messages"
MAX_BODY = 128 * 1024
"""Bytes of one call: room for MAX_TEXT characters of Arabic written as JSON escapes (six bytes each)."""


def _answer(code: int, **fields: str) -> JSONResponse:
    """A one-line JSON answer: {"status": ...} when the message is taken, {"error": ...} when it is refused."""
    return JSONResponse(fields, status_code=code)


class BridgeChannel(Channel):
    """Messages through the inbox (stored before the bridge's 200, handled by its worker); replies through `sender`."""

    name = CHANNEL
    capabilities = Capabilities(buttons=False, max_text=MAX_TEXT, protects_content=False)

    def __init__(self, engine: Engine, sender: BridgeSender, secret: str, now: Callable[[], float] = time.time):
        self.engine = engine
        self.sender = sender
        self._secret = secret
        self._now = now
        self._hub: Hub | None = None

    @classmethod
    def from_settings(cls, settings: Settings, parts: ChannelParts) -> "BridgeChannel":
        """Settings.bridge_enabled: both settings are there (the settings check that it is both or neither)."""
        assert settings.bridge_secret is not None and settings.bridge_send_url is not None
        secret = settings.bridge_secret.get_secret_value()
        return cls(parts.engine, BridgeSender(str(settings.bridge_send_url), secret), secret)

    async def start(self, hub: Hub) -> None:
        self._hub = hub
        log.info("The bridge endpoint is ready (%s).", MESSAGES_PATH)

    async def stop(self) -> None:
        """Calls that come now are answered 503: the bridge sends them again, to the next run."""
        self._hub = None

    async def aclose(self) -> None:
        await self.sender.aclose()

    async def send(self, address: str, reply: Reply) -> DeliveryResult:
        return await self.sender.send(address, reply)

    def routes(self) -> list[Route]:
        return [Route(MESSAGES_PATH, self._receive, methods=["POST"])]

    async def _receive(self, request: Request) -> Response:
        """Size, signature and window, then fields: each refusal before anything is stored, and none logs the body."""
        body = await read_body(request, MAX_BODY)
        if body is None:
            log.warning("A bridge call larger than %d bytes was refused.", MAX_BODY)
            return _answer(413, error=f"larger than {MAX_BODY} bytes")
        refused = refusal(self._secret, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER), body, self._now())
        if refused is not None:
            log.warning("A bridge call was refused: %s.", refused.value)
            return _answer(401, error=refused.value)
        try:
            message = self._message(body)
        except Malformed as error:
            log.warning("A signed bridge call was refused: %s.", error)
            return _answer(400, error=str(error))
        hub = self._hub
        if hub is None:
            return _answer(503, error="not started yet")
        try:
            stored = await hub.store([self._inbox_item(message)])
        except Exception as error:  # the database stayed away: the bridge sends the call again
            log.warning("A bridge message could not be stored (%s); the bridge should send it again.", type(error).__name__)
            return _answer(503, error="try again later")
        if not stored:
            log.info("A bridge message came again and was not stored twice.")
            return _answer(200, status="duplicate")
        return _answer(200, status="accepted")

    @staticmethod
    def _message(body: bytes) -> BridgeMessage:
        payload = parse_object(body)
        if payload is None:
            raise Malformed("not a JSON object")
        return message_of(payload)

    def _inbox_item(self, message: BridgeMessage) -> dict[str, Any]:
        return inbox_row(self.engine.pseudonym_of, CHANNEL, message.id, message.sender, message.kind, message.text)

    async def handle(self, item: Claimed) -> bool:
        """The stored message through the engine, its replies stored with the row marked done, then sent."""
        await answer_stored(self.engine, self.sender, stored_message(item, CHANNEL, numbered=True))
        return True

    def apology_to(self, payload: dict[str, Any]) -> str | None:
        return apology_address(payload)
