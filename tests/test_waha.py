"""The WAHA channel's parts without the bot around them: WAHA's signature, its events, the texts sent, sendText's answers.

What `outreach-bot run` does with them, end to end, is in test_waha_run.py.
"""

import json
import logging
from collections.abc import Awaitable, Callable

import httpx
import pytest
from starlette.applications import Starlette

from bot.channels.base import Hub
from bot.channels.retries import RETRY_BUSY
from bot.channels.waha.api import RETRY_SETTINGS, WahaApi
from bot.channels.waha.channel import MAX_BODY, WahaChannel
from bot.channels.waha.events import Malformed, incoming, signature_ok
from bot.channels.waha.render import MAX_TEXT, pieces
from bot.errors import SettingsError
from bot.messages import Delivered, QuickReply, Reply, RetryLater, Undeliverable
from bot.settings import load_settings
from fakes.waha import API_KEY, HMAC_KEY, LOCATION, PHOTO, SESSION, STICKER, VOICE, VOICE_NOT_DOWNLOADED, FakeWaha, WahaPerson

AMINA = WahaPerson("32470000001", push_name="Amina Private")
WAHA_ENVIRONMENT = {"WAHA_URL": "http://127.0.0.1:9", "WAHA_API_KEY": API_KEY, "WAHA_HMAC_KEY": HMAC_KEY}


@pytest.fixture
def maker() -> FakeWaha:
    """The fake's event writer, without its server."""
    return FakeWaha()


@pytest.fixture
async def api(waha):
    client = WahaApi(waha.url, API_KEY, SESSION, backoff=0.01)
    yield client
    await client.aclose()


class Webhook:
    """The channel's webhook, reached in-process, with an inbox that only keeps the rows it is given."""

    def __init__(self, channel: WahaChannel, client: httpx.AsyncClient):
        self.channel, self.client = channel, client
        self.stored: list[dict] = []

    async def store(self, rows: list[dict]) -> int:
        self.stored += rows
        return len(rows)

    def hub(self) -> Hub:
        return hub_storing(self.store)


def hub_storing(store: Callable[[list[dict]], Awaitable[int]]) -> Hub:
    """A Hub that hands rows to `store` and nothing else: no outbox behind it."""

    async def no_failure(*_report: object) -> None:
        return None

    return Hub(store, no_failure, wake_outbox=lambda: None, failed=lambda: None)


async def dropped(rows: list[dict]) -> int:
    return len(rows)


@pytest.fixture
async def webhook(engine, api):
    channel = WahaChannel(engine, api, HMAC_KEY)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=Starlette(routes=channel.routes())), base_url="http://bot.test") as client:
        hook = Webhook(channel, client)
        await channel.start(hook.hub())
        yield hook


# --- The signature ------------------------------------------------------------------------------


def test_wahas_documented_example_signature_is_accepted():
    """The example on https://waha.devlike.pro/docs/how-to/events/#hmac-authentication."""
    body = b'{"event":"message","session":"default","engine":"WEBJS"}'
    digest = "208f8a55dde9e05519e898b10b89bf0d0b3b0fdf11fdbf09b6b90476301b98d8097c462b2b17a6ce93b6b47a136cf2e78a33a63f6752c2c1631777076153fa89"
    assert signature_ok(body, digest, "sha512", "my-secret-key")


@pytest.mark.parametrize(
    ("change", "headers"),
    [
        ("another body", lambda maker, body: maker.sign(body + b" ")),
        ("another key", lambda maker, body: maker.sign(body, key="not-the-key-at-all")),
        ("no signature", lambda maker, body: {"X-Webhook-Hmac-Algorithm": "sha512"}),
        ("another algorithm", lambda maker, body: {**maker.sign(body), "X-Webhook-Hmac-Algorithm": "sha256"}),
        ("no algorithm", lambda maker, body: {"X-Webhook-Hmac": maker.sign(body)["X-Webhook-Hmac"]}),
    ],
)
def test_a_signature_for_another_body_key_or_algorithm_is_refused(maker, change, headers):
    body = json.dumps(maker.message(AMINA, "bonjour")).encode()
    signed = headers(maker, body)
    assert not signature_ok(body, signed.get("X-Webhook-Hmac"), signed.get("X-Webhook-Hmac-Algorithm"), HMAC_KEY), change


# --- The events ---------------------------------------------------------------------------------


def test_a_persons_text_is_a_numbered_message_from_their_chat_keyed_by_wahas_message_id(maker):
    event = maker.message(AMINA, "c koi la prep")
    message = incoming(event, SESSION)
    assert message is not None
    assert (message.kind, message.text, message.address, message.delivery_id, message.numbered) == ("text", "c koi la prep", AMINA.chat_id, event["payload"]["id"], True)


@pytest.mark.parametrize(
    "event",
    [
        lambda maker: maker.from_me(AMINA, "Bonjour, ici l'équipe"),
        lambda maker: maker.in_group(AMINA, "bonjour"),
        lambda maker: maker.status_update(AMINA, "ma story"),
        lambda maker: maker.event("message.ack", {"id": "true_32470000001@c.us_AAAA", "ack": 3}),
        lambda maker: maker.event("session.status", {"status": "WORKING"}),
        lambda maker: maker.event("message", maker.message(AMINA, "bonjour")["payload"], session="another-number"),
    ],
    ids=["the bot's own", "a group's", "a status update", "an ack", "a session status", "another session's"],
)
def test_what_is_not_a_person_writing_to_the_session_is_left(maker, event):
    assert incoming(event(maker), SESSION) is None


@pytest.mark.parametrize(
    ("fields", "kind"),
    [(VOICE, "voice"), (VOICE_NOT_DOWNLOADED, "voice"), (STICKER, "sticker"), (PHOTO, "photo"), (LOCATION, "location")],
    ids=["voice", "voice not downloaded", "sticker", "photo with a caption", "location"],
)
def test_what_a_person_sends_instead_of_text_is_named_as_on_telegram_and_its_caption_not_read(maker, fields, kind):
    message = incoming(maker.message(AMINA, **fields), SESSION)
    assert message is not None and (message.kind, message.text) == (kind, "")


@pytest.mark.parametrize(
    "change",
    [{"fromMe": "false"}, {"from": 32470000001}, {"hasMedia": True, "media": "audio/ogg"}, {"id": "x" * 129}],
    ids=["fromMe a string", "from a number", "media a string", "an id too long"],
)
def test_a_field_of_the_wrong_type_is_malformed(maker, change):
    event = maker.message(AMINA, "bonjour")
    event["payload"].update(change)
    with pytest.raises(Malformed):
        incoming(event, SESSION)


# --- The webhook --------------------------------------------------------------------------------


async def test_a_signed_message_is_stored_keyed_by_its_id_without_the_push_name(webhook, maker):
    event = maker.message(AMINA, "bonjour")
    response = await maker.post(webhook.client, event)
    [row] = webhook.stored
    assert response.status_code == 200
    assert (row["channel"], row["delivery_id"], row["payload"]) == ("waha", event["payload"]["id"], {"from": AMINA.chat_id, "kind": "text", "text": "bonjour", "payload": None})
    assert AMINA.number not in row["sender_key"] and AMINA.push_name not in json.dumps(row)


async def test_an_event_that_is_not_a_persons_message_is_answered_200_and_not_stored(webhook, maker):
    response = await maker.post(webhook.client, maker.from_me(AMINA, "bonjour"))
    assert response.status_code == 200 and webhook.stored == []


async def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(webhook, maker):
    event = maker.message(AMINA, "x" * MAX_BODY)
    assert (await maker.post(webhook.client, event)).status_code == 413 and webhook.stored == []


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", json.dumps({"event": "message", "session": SESSION, "payload": "a text"}).encode()])
async def test_a_signed_body_that_is_not_a_well_formed_event_is_refused_with_400_and_not_logged(webhook, maker, caplog, body):
    response = await webhook.client.post("/webhooks/waha", content=body, headers=maker.sign(body))
    assert response.status_code == 400 and webhook.stored == []
    assert body.decode() not in caplog.text


async def test_without_an_hmac_key_the_start_warns_that_unsigned_calls_are_taken(engine, api, caplog):
    channel = WahaChannel(engine, api, None)
    with caplog.at_level(logging.WARNING):
        await channel.start(hub_storing(dropped))
    assert "WAHA_HMAC_KEY is not set" in caplog.text


# --- What is sent -------------------------------------------------------------------------------


def test_a_long_reply_is_cut_at_whatsapps_limit_between_lines_and_nothing_is_lost():
    text = "\n".join(f"Ligne {n} : " + "x" * 80 for n in range(200))
    sent = pieces(Reply(text, "fr"))
    assert len(sent) > 1 and all(len(piece) <= MAX_TEXT for piece in sent)
    assert "".join(sent) == text and all(piece.endswith("\n") for piece in sent[:-1])


def test_the_numbered_choices_are_sent_as_the_text_says_them():
    numbered = Reply("Que voulez-vous savoir ?\n\nRéponds avec un numéro :\n1. La PrEP\n2. Parler à une personne", "fr", (QuickReply("La PrEP", "faq:prep.info", 1),))
    assert pieces(numbered) == [numbered.text]


async def test_sendtext_carries_the_session_the_chat_and_the_api_key_and_gives_wahas_message_id(api, waha):
    result = await api.send_text(AMINA.chat_id, "Bonjour")
    assert result == Delivered(waha.sent[0].message_id)
    assert waha.calls == [{"session": SESSION, "chatId": AMINA.chat_id, "text": "Bonjour", "linkPreview": False}]


async def test_a_waha_down_for_a_moment_is_retried_at_once(api, waha):
    waha.fail_next(503, times=2)
    assert isinstance(await api.send_text(AMINA.chat_id, "Bonjour"), Delivered)
    assert waha.texts(AMINA) == ["Bonjour"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [(503, RetryLater(RETRY_BUSY)), (429, RetryLater(RETRY_BUSY)), (422, RetryLater(RETRY_BUSY)), (401, RetryLater(RETRY_SETTINGS)), (404, RetryLater(RETRY_SETTINGS)), (400, Undeliverable("invalid"))],
    ids=["down", "too many calls", "session not working", "key refused", "session unknown", "refused"],
)
async def test_wahas_refusals_mean_retry_later_wait_for_a_setting_or_give_up(api, waha, status, expected):
    waha.fail_next(status, times=3)
    assert await api.send_text(AMINA.chat_id, "Bonjour") == expected


async def test_a_waha_that_cannot_be_reached_is_retry_later(unused_tcp_port):
    client = WahaApi(f"http://127.0.0.1:{unused_tcp_port}", API_KEY, SESSION, backoff=0.01)
    try:
        assert await client.send_text(AMINA.chat_id, "Bonjour") == RetryLater(RETRY_BUSY)
    finally:
        await client.aclose()


# --- The settings -------------------------------------------------------------------------------


def test_waha_url_turns_the_channel_on_with_the_session_default(monkeypatch):
    for name, value in WAHA_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.waha_enabled and settings.waha_session == "default"


def test_without_waha_url_the_channel_is_off(monkeypatch):
    monkeypatch.delenv("WAHA_URL", raising=False)
    assert load_settings().waha_enabled is False


@pytest.mark.parametrize(("name", "value"), [("WAHA_API_KEY", ""), ("WAHA_SESSION", "my session"), ("WAHA_HMAC_KEY", "short"), ("WAHA_URL", "waha:3000")])
def test_a_missing_or_wrong_waha_setting_is_named_in_one_sentence(monkeypatch, name, value):
    for key, setting in WAHA_ENVIRONMENT.items():
        monkeypatch.setenv(key, setting)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert name in str(error.value) and "\n" not in str(error.value)
