"""Sending on WhatsApp: the Cloud API's messages endpoint, and the outbox's way to a person (PersonSender).

Meta's errors are sorted by their code (Meta asks not to rely on the titles) into what can be
done about them: wait and send again (rate limits, outages), hold until the person writes
(the 24-hour window is closed), or give up and tell the staff (blocked, refused).

Nothing here logs a message, a phone number or the access token; an error is logged by its code.
"""

import logging
from collections.abc import Mapping
from typing import Any

import httpx

from bot.channels.retries import FIRST_BACKOFF, RETRY_BUSY, Busy, quickly_retried, retry_after
from bot.channels.whatsapp.render import message, pieces, rest, template
from bot.i18n import Catalogs
from bot.languages import DEFAULT
from bot.messages import Delivered, DeliveryResult, OutsideWindow, Reply, RetryLater, Undeliverable
from bot.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(20.0, connect=5.0)
RETRY_REFUSED_TOKEN = 300.0
"""Seconds to wait when the access token is refused: time for someone to fix WHATSAPP_ACCESS_TOKEN, with nothing lost."""

OUTSIDE_WINDOW = frozenset({131047})
"""Re-engagement message: more than 24 hours since the person last wrote."""
UNDELIVERABLE = frozenset({131026})
"""Message undeliverable: the number left WhatsApp, or blocked the business, or cannot receive it."""
RATE_LIMITS = frozenset({4, 80007, 130429, 131048, 131056})
"""The app's, the account's, the number's throughput, spam and the per-person (pair) rate limits."""
TRANSIENT = frozenset({1, 2, 131000, 131016, 133004})
"""Unknown or temporary errors on Meta's side, service unavailable."""
REFUSED_TOKEN = frozenset({0, 3, 10, 190, *range(200, 300)})
"""The access token expired, was revoked, or lacks a permission: a configuration problem."""


def result_of_error(code: int | None) -> DeliveryResult:
    """What an error reported after the fact (a failed status in the webhook) means for the message."""
    outcome = _sort(code, http_status=None, retry_after=None)
    return RetryLater(RETRY_BUSY) if isinstance(outcome, Busy) else outcome


def _sort(code: int | None, http_status: int | None, retry_after: float | None) -> DeliveryResult | Busy:
    """Meta's error code first (Meta's advice); the HTTP status when the code says nothing."""
    if code in OUTSIDE_WINDOW:
        return OutsideWindow()
    if code in UNDELIVERABLE:
        return Undeliverable("blocked")
    if code in REFUSED_TOKEN or http_status in (401, 403):
        log.error("The WhatsApp Cloud API refused the access token (error %s): check WHATSAPP_ACCESS_TOKEN.", code)
        return RetryLater(RETRY_REFUSED_TOKEN)
    if code in RATE_LIMITS or http_status == 429:
        log.warning("WhatsApp asks the bot to slow down (error %s).", code)
        return Busy(retry_after)
    if code in TRANSIENT or (http_status is not None and http_status >= 500):
        log.warning("The WhatsApp Cloud API failed (HTTP %s, error %s).", http_status, code)
        return Busy(retry_after)
    log.error("WhatsApp refused a message (HTTP %s, error %s).", http_status, code)
    return Undeliverable("invalid")


class GraphApi:
    """POST /{version}/{phone_number_id}/messages, with a few quick retries."""

    def __init__(self, base_url: str, version: str, phone_number_id: str, access_token: str, backoff: float = FIRST_BACKOFF):
        self.url = f"{base_url.rstrip('/')}/{version}/{phone_number_id}/messages"
        self._backoff = backoff
        self._client = httpx.AsyncClient(headers={"Authorization": f"Bearer {access_token}"}, timeout=TIMEOUT)

    @classmethod
    def from_settings(cls, settings: Settings) -> "GraphApi":
        assert settings.whatsapp_phone_number_id is not None and settings.whatsapp_access_token is not None
        return cls(
            str(settings.whatsapp_api_base_url),
            settings.whatsapp_api_version,
            settings.whatsapp_phone_number_id,
            settings.whatsapp_access_token.get_secret_value(),
        )

    async def send(self, fields: Mapping[str, Any]) -> DeliveryResult:
        """One message (`to` and its type's fields); Delivered carries WhatsApp's message id (wamid)."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **fields}
        return await quickly_retried(lambda: self._post(body), self._backoff)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _post(self, body: dict[str, Any]) -> DeliveryResult | Busy:
        try:
            response = await self._client.post(self.url, json=body)
        except httpx.TransportError as error:
            log.warning("The WhatsApp Cloud API could not be reached (%s).", type(error).__name__)
            return Busy(None)
        data = _json(response)
        if response.is_success:
            messages = data.get("messages") or [{}]
            return Delivered(messages[0].get("id"))
        refusal = data.get("error")
        code = refusal.get("code") if isinstance(refusal, dict) and isinstance(refusal.get("code"), int) else None
        return _sort(code, response.status_code, retry_after(response))


class WhatsAppSender:
    """A Reply as WhatsApp messages, to one person: the direct replies, and the outbox's deliveries."""

    def __init__(self, api: GraphApi, catalogs: Catalogs, template_name: str, template_languages: Mapping[str, str]):
        self.api = api
        self.catalogs = catalogs
        self.template_name = template_name
        self.template_languages = dict(template_languages)

    async def send(self, address: str, reply: Reply) -> DeliveryResult:
        """PersonSender: what the outbox calls. A retry after a partial failure sends the whole reply again."""
        result, _unsent = await self.deliver(address, reply)
        return result

    async def deliver(self, address: str, reply: Reply) -> tuple[DeliveryResult, Reply | None]:
        """Piece by piece; on a failure, its result and what was not sent (to be queued rather than lost)."""
        parts = pieces(reply)
        list_button = self.catalogs.translator(reply.lang).gettext("See the choices")
        result: DeliveryResult = Delivered()
        for index, part in enumerate(parts):
            result = await self.api.send({"to": address, **message(part, list_button)})
            if not isinstance(result, Delivered):
                return result, rest(parts[index:])
        return result, None

    async def announce_held(self, address: str, lang: str) -> DeliveryResult:
        """The approved template, in the person's language: an answer waits; writing back opens the window."""
        code = self.template_languages.get(lang) or self.template_languages[DEFAULT]
        return await self.api.send({"to": address, **template(self.template_name, code)})


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
