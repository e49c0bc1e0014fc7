"""Sending a reply to the bridge: `{"id", "recipient", "text", "choices"}` POSTed to BRIDGE_SEND_URL, signed.

The bridge's answer is sorted into what the outbox does next: 2xx delivered; 429, 5xx, a network
error or a timeout, try again later (after Retry-After when the bridge says); any other 4xx, give
up (410: the person can no longer be reached). A retry carries the same `id`, so a bridge that
took a reply and whose answer was lost drops the second copy (docs/bridge.md, "Idempotency").

Nothing here logs a text, a recipient or the secret; a refusal is logged by its HTTP status.
"""

import json
import logging
import time
import uuid
from typing import Any

import httpx

from bot.channels.bridge.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from bot.messages import Delivered, DeliveryResult, Reply, RetryLater, Undeliverable
from bot.storage.journal import SENDING

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
RETRY_BUSY = 30.0
"""Seconds before the next try when the bridge is away and does not say how long; the outbox waits
longer after each try (bot/outbox/worker.py, backoff): its eight tries span some eleven minutes."""
GONE = 410


def reply_id(outbox_id: int | None) -> str:
    """Stable for an outbox row, so that every try of one reply carries the same id.

    Outbox ids are never given twice (bot/storage/models.py). A reply sent outside the outbox is
    never tried again, so any id that is its own will do.
    """
    return f"out-{outbox_id}" if outbox_id is not None else f"once-{uuid.uuid4().hex}"


def body_of(message_id: str, recipient: str, reply: Reply) -> dict[str, Any]:
    """The reply's text already ends with its numbered choices (InboundMessage.numbered); `choices`
    repeats them as data for a bridge that can show them its own way. A choice without a number
    (a staff reply's, rarely) cannot be typed, so it is left out."""
    choices = [{"number": quick.number, "label": quick.label} for quick in reply.quick_replies if quick.number is not None]
    return {"id": message_id, "recipient": recipient, "text": reply.text, "choices": choices}


class BridgeSender:
    """The outbox's way to a person on the bridge (PersonSender); the replies to their own messages go this way too."""

    def __init__(self, url: str, secret: str):
        self.url = url
        self._secret = secret
        self._client = httpx.AsyncClient(timeout=TIMEOUT)

    async def send(self, address: str, reply: Reply) -> DeliveryResult:
        body = json.dumps(body_of(reply_id(SENDING.get()), address, reply), ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(self._secret, timestamp, body)}
        try:
            response = await self._client.post(self.url, content=body, headers=headers)
        except httpx.TransportError as error:
            log.warning("The bridge could not be reached (%s); the reply waits.", type(error).__name__)
            return RetryLater(RETRY_BUSY)
        return result_of(response)

    async def announce_held(self, address: str, lang: str) -> DeliveryResult:
        """A bridge holds nothing back."""
        return Delivered()

    async def aclose(self) -> None:
        await self._client.aclose()


def result_of(response: httpx.Response) -> DeliveryResult:
    status = response.status_code
    if response.is_success:
        return Delivered()
    if status == 429 or status >= 500:
        log.warning("The bridge is busy or failing (HTTP %d); the reply waits.", status)
        return RetryLater(_retry_after(response))
    log.error("The bridge refused a reply (HTTP %d).", status)
    return Undeliverable("blocked" if status == GONE else "invalid")


def _retry_after(response: httpx.Response) -> float:
    """Retry-After in seconds, as the bridge says; RETRY_BUSY when it does not."""
    try:
        return max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return RETRY_BUSY
