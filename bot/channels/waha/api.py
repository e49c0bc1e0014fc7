"""Sending through WAHA: `POST /api/sendText` with `{session, chatId, text}` and the `X-Api-Key` header.

(https://waha.devlike.pro/docs/how-to/send-messages/, https://waha.devlike.pro/docs/how-to/security/.)
WAHA's answers are sorted into what can be done about them: try again soon (WAHA or its session
busy, restarting or away: 429, 5xx, 422 "session status is not as expected", no connection), wait
for someone to fix a setting (the key refused, the session unknown: nothing is lost meanwhile), or
give up (any other refusal: the chat cannot be written to).

Nothing here logs a text, a chat id or the key; a refusal is logged by its HTTP status.
"""

import logging

import httpx

from bot.channels.retries import FIRST_BACKOFF, Busy, quickly_retried, retry_after
from bot.messages import Delivered, DeliveryResult, RetryLater, Undeliverable
from bot.settings import Settings

log = logging.getLogger(__name__)

SEND_PATH = "/api/sendText"
API_KEY_HEADER = "X-Api-Key"
TIMEOUT = httpx.Timeout(20.0, connect=5.0)
RETRY_SETTINGS = 300.0
"""Seconds before trying again when WAHA refuses the key or does not know the session: time to fix the setting."""
BUSY_STATUSES = frozenset({422, 429})
"""The session is not working yet (WAHA: "try again later or restart the session"), or too many calls."""


def sort(status: int, retry_after: float | None) -> DeliveryResult | Busy:
    """A refused call by its HTTP status."""
    if status in (401, 403):
        log.error("WAHA refused the API key (HTTP %d): check WAHA_API_KEY.", status)
        return RetryLater(RETRY_SETTINGS)
    if status == 404:
        log.error("WAHA does not know the session (HTTP 404): check WAHA_SESSION.")
        return RetryLater(RETRY_SETTINGS)
    if status in BUSY_STATUSES or status >= 500:
        log.warning("WAHA could not send a message now (HTTP %d).", status)
        return Busy(retry_after)
    log.error("WAHA refused a message (HTTP %d).", status)
    return Undeliverable("invalid")


class WahaApi:
    """WAHA's send endpoint for one session, with a few quick retries."""

    def __init__(self, base_url: str, api_key: str, session: str, backoff: float = FIRST_BACKOFF):
        self.url = base_url.rstrip("/") + SEND_PATH
        self.session = session
        self._backoff = backoff
        self._client = httpx.AsyncClient(headers={API_KEY_HEADER: api_key}, timeout=TIMEOUT)

    @classmethod
    def from_settings(cls, settings: Settings) -> "WahaApi":
        assert settings.waha_url is not None and settings.waha_api_key is not None
        return cls(str(settings.waha_url), settings.waha_api_key.get_secret_value(), settings.waha_session)

    async def send_text(self, chat_id: str, text: str) -> DeliveryResult:
        """One text to a chat; Delivered carries WAHA's message id when it gives one."""
        body = {"session": self.session, "chatId": chat_id, "text": text, "linkPreview": False}
        return await quickly_retried(lambda: self._post(body), self._backoff)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _post(self, body: dict[str, object]) -> DeliveryResult | Busy:
        try:
            response = await self._client.post(self.url, json=body)
        except httpx.TransportError as error:
            log.warning("WAHA could not be reached (%s).", type(error).__name__)
            return Busy(None)
        if response.is_success:
            return Delivered(_message_id(response))
        return sort(response.status_code, retry_after(response))


def _message_id(response: httpx.Response) -> str | None:
    """The sent message's id: a string, or WEBJS's `{"_serialized": …}`; None when WAHA gives none."""
    try:
        data = response.json()
    except ValueError:
        return None
    found = data.get("id") if isinstance(data, dict) else None
    if isinstance(found, dict):
        found = found.get("_serialized")
    return found if isinstance(found, str) else None
