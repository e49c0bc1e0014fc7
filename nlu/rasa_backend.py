"""The Rasa backend: intents from a Rasa server over HTTP, everything else as the embedded NLU does it.

Rasa only ranks intents. The language comes from the embedded language identifier (Rasa has
none), and the crisis lexicon and the thresholds are applied to Rasa's ranking by the same
`crisis_hint, decide_route` as for the embedded classifier: the safety rules do not depend on the backend.

The bot must never stop answering because a server is down or slow. The embedded parse is made
first (well under a millisecond): it gives the language, and it is the answer whenever Rasa does
not give one in time. An outage is logged once when it starts and once when it ends; meanwhile
the server is asked again every `retry_seconds`, and the messages in between do not wait for it.
"""

import asyncio
import logging
import time

import httpx

from nlu.classifier import Ranked
from nlu.embedded import MAX_CHARACTERS, EmbeddedNLU
from nlu.parse import Parse, decide
from nlu.protocol import NLUBackend
from nlu.rasa_data import rasa_text

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2.0
"""A person is waiting for the answer: past this, the embedded NLU answers instead."""
RETRY_SECONDS = 30.0


def keep_token_out_of_logs() -> None:
    """httpx logs every request URL at INFO, and Rasa's token travels in the URL (`?token=`)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)


class RasaConnection:
    """The HTTP side: one per bot, shared by the RasaNLU of each FAQ version (live FAQ edits)."""

    def __init__(
        self,
        url: str,
        token: str,
        timeout: float = TIMEOUT_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        """`transport` replaces the network in tests."""
        self.url = url.rstrip("/")
        self.unanswered = 0
        """Messages Rasa did not rank (server down, slow or refusing): the embedded NLU answered them."""
        self._token = token
        self._timeout = timeout
        self._retry_seconds = retry_seconds
        self._transport = transport
        self._down = False
        self._retry_at = 0.0
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        keep_token_out_of_logs()

    async def rank(self, text: str) -> list[tuple[str, float]] | None:
        """Rasa's (intent, confidence) ranking of normalised text, or None when Rasa cannot give it now."""
        if self._down and time.monotonic() < self._retry_at:
            self.unanswered += 1
            return None
        try:
            response = await self._http().post("/model/parse", json={"text": text})
            response.raise_for_status()
            ranking = [(str(row["name"]), float(row["confidence"])) for row in response.json()["intent_ranking"]]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            self._went_down(error)
            self.unanswered += 1
            return None
        if self._down:
            self._down = False
            log.info("The Rasa server at %s answers again", self.url)
        return ranking

    async def is_up(self) -> bool:
        """Whether the server answers with a loaded model and accepts the token."""
        try:
            response = await self._http().get("/status")
            return response.status_code == 200 and bool(response.json().get("model_file"))
        except (httpx.HTTPError, ValueError):
            return False

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _http(self) -> httpx.AsyncClient:
        """The client of the running event loop (a client's pooled connections belong to one loop)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client = httpx.AsyncClient(
                base_url=self.url, params={"token": self._token}, timeout=self._timeout, transport=self._transport
            )
            self._client_loop = loop
        return self._client

    def _went_down(self, error: Exception) -> None:
        """Log the start of an outage once; the reason names the error, never the request (it holds the token)."""
        self._retry_at = time.monotonic() + self._retry_seconds
        if self._down:
            return
        self._down = True
        reason = f"HTTP {error.response.status_code}" if isinstance(error, httpx.HTTPStatusError) else type(error).__name__
        log.warning(
            "The Rasa server at %s does not answer (%s): the embedded NLU answers until it does; retrying every %.0f s",
            self.url, reason, self._retry_seconds,
        )


class RasaNLU:
    """The NLU backend over Rasa for one FAQ version: `embedded` is trained on the same FAQ."""

    def __init__(self, connection: RasaConnection, embedded: EmbeddedNLU):
        self.connection = connection
        self.embedded = embedded
        self._known_intents = frozenset(embedded.classifier.intents)

    async def parse(self, text: str, lang_hint: str | None = None) -> Parse:
        local = self.embedded.parse_many([text], lang_hint)[0]
        normalised = rasa_text(text)
        if not normalised:
            return local
        ranking = await self.connection.rank(normalised)
        if ranking is None:
            return local
        ranked = self._ranked(ranking)
        thresholds = self.embedded.thresholds
        intent, confidence, route, by_rule, hint = decide(ranked, self.embedded.lexicon.read(text[:MAX_CHARACTERS]), thresholds)
        return Parse(text, local.lang, local.lang_confidence, intent, confidence, route, ranked, by_rule, hint)

    def _ranked(self, ranking: list[tuple[str, float]]) -> list[Ranked]:
        """Rasa's ranking, without intents this FAQ no longer has (a model trained before an FAQ edit)."""
        return [Ranked(intent, round(confidence, 4)) for intent, confidence in ranking if intent in self._known_intents]


def backend_over(embedded: EmbeddedNLU, rasa: RasaConnection | None) -> NLUBackend:
    """The bot's NLU for one FAQ version: the embedded NLU itself, or Rasa backed by it."""
    return embedded if rasa is None else RasaNLU(rasa, embedded)
