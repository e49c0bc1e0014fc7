"""A bridge on 127.0.0.1, for the tests: it signs the messages it posts to the bot and receives the bot's replies.

It plays what docs/bridge.md asks of a bridge, written from that page and not from the bot's
code: the signature is computed here, so a bot that drifted from the documented recipe fails.
Its send endpoint takes a reply only when the signature and the timestamp check out, records
it, and can be told to be away for a while (503 with Retry-After), as a bridge being restarted is.
"""

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fakes.loopback import LoopbackServer

SECRET = "a-shared-bridge-secret-of-more-than-32-chars"
SEND_PATH = "/send"
MESSAGES_PATH = "/bridge/v1/messages"
"""Where the bot takes messages (docs/bridge.md)."""


@dataclass(frozen=True)
class Received:
    """A reply the bot sent and the bridge took."""

    id: str
    recipient: str
    text: str
    choices: list[dict[str, Any]]


@dataclass(frozen=True)
class Signed:
    """A call ready to post to the bot: the raw body and its two headers."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The recipe of docs/bridge.md: hex HMAC-SHA256 of timestamp + "." + raw body, after "sha256="."""
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


class FakeBridge:
    def __init__(self, secret: str = SECRET):
        self.secret = secret
        self.received: list[Received] = []
        """Every reply taken, in order, a repeat included."""
        self.unsigned = 0
        """Calls refused for a wrong signature or timestamp."""
        self.turned_away = 0
        """Calls answered with an error while the bridge was away."""
        self._away: tuple[float, int, str | None] | None = None
        self._arrived = asyncio.Condition()
        self._server = LoopbackServer([Route(SEND_PATH, self._send, methods=["POST"])])

    @property
    def send_url(self) -> str:
        """BRIDGE_SEND_URL."""
        return self._server.url + SEND_PATH

    async def __aenter__(self) -> Self:
        await self._server.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._server.stop()

    # --- What the bridge posts to the bot ---------------------------------------------------------

    def message(self, sender: str, text: str = "", kind: str = "text", message_id: str | None = None) -> dict[str, Any]:
        return {"id": message_id or uuid.uuid4().hex, "sender": sender, "text": text, "kind": kind, "timestamp": int(time.time())}

    def signed(self, payload: dict[str, Any], at: float | None = None, secret: str | None = None, escaped: bool = False) -> Signed:
        """The call as a bridge makes it, at `at` (Unix seconds; now by default), signed with `secret` (the shared one by default);
        `escaped`: every letter outside ASCII written as a JSON escape (\\u0628), as some JSON libraries do."""
        body = json.dumps(payload, ensure_ascii=escaped).encode()
        timestamp = str(int(time.time() if at is None else at))
        return Signed(body, {"Content-Type": "application/json", "X-Bridge-Timestamp": timestamp, "X-Bridge-Signature": sign(secret or self.secret, timestamp, body)})

    async def post(self, bot: httpx.AsyncClient, call: Signed) -> httpx.Response:
        """`call` to the bot that `bot` points at."""
        return await bot.post(MESSAGES_PATH, content=call.body, headers=call.headers)

    # --- Being away --------------------------------------------------------------------------------

    def away_for(self, seconds: float, status: int = 503, retry_after: str | None = "1") -> None:
        """For `seconds`, every reply gets `status` (with Retry-After, unless None) and is not taken."""
        self._away = (time.monotonic() + seconds, status, retry_after)

    # --- What the bot sent -------------------------------------------------------------------------

    def replies_to(self, recipient: str) -> list[Received]:
        return [reply for reply in self.received if reply.recipient == recipient]

    def texts(self, recipient: str) -> list[str]:
        return [reply.text for reply in self.replies_to(recipient)]

    async def wait_replies(self, recipient: str, count: int, timeout: float = 30) -> list[Received]:
        """Until `count` replies in all have been taken for `recipient`."""
        await self._until(lambda: len(self.replies_to(recipient)) >= count, timeout)
        return self.replies_to(recipient)

    async def wait_received(self, count: int, timeout: float = 30) -> None:
        """Until `count` replies in all have been taken."""
        await self._until(lambda: len(self.received) >= count, timeout)

    async def _until(self, done: Callable[[], bool], timeout: float) -> None:
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(done), timeout)

    # --- The server --------------------------------------------------------------------------------

    async def _send(self, request: Request) -> Response:
        body = await request.body()
        timestamp = request.headers.get("x-bridge-timestamp", "")
        signature = request.headers.get("x-bridge-signature", "")
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= 300
        if not fresh or not hmac.compare_digest(sign(self.secret, timestamp, body), signature):
            self.unsigned += 1
            return JSONResponse({"error": "wrong signature"}, status_code=401)
        if self._away is not None and time.monotonic() < self._away[0]:
            self.turned_away += 1
            _until, status, retry_after = self._away
            return JSONResponse({"error": "away"}, status_code=status, headers={"Retry-After": retry_after} if retry_after else None)
        reply = json.loads(body)
        async with self._arrived:
            self.received.append(Received(reply["id"], reply["recipient"], reply["text"], reply["choices"]))
            self._arrived.notify_all()
        return JSONResponse({"status": "sent"})
