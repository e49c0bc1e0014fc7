"""The generic bridge channel (docs/bridge.md): what it takes in, what it refuses, and how it sends.

Its endpoint is reached in-process (httpx's ASGI transport) with the bot's clock fixed, so the
window is tested to the second; the replies go to the loopback bridge (tests/fakes/bridge.py).
What `outreach-bot run` does with it end to end is in test_bridge_run.py.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from bot.channels.base import Hub
from bot.channels.bridge.channel import MAX_BODY, BridgeChannel
from bot.channels.bridge.incoming import MAX_TEXT
from bot.channels.bridge.outgoing import RETRY_BUSY, BridgeSender, body_of
from bot.channels.registry import configured
from bot.engine import Engine
from bot.errors import SettingsError
from bot.inbox.worker import SQLITE_CONCURRENCY, InboxWorker
from bot.messages import Delivered, QuickReply, Reply, RetryLater, Undeliverable
from bot.outbox.worker import Outbox
from bot.settings import load_settings
from bot.storage.journal import sending
from bot.storage.models import InboxItem
from fakes.bridge import SECRET, FakeBridge, sign

CLOCK = 1_796_000_000.0
"""The bot's clock, in Unix seconds, while these tests post to it."""
PERSON = "+32470123456"
UNUSED_URL = "http://127.0.0.1:9/send"


@dataclass
class Bridged:
    """The bridge channel as `outreach-bot run` starts it, reached in-process."""

    client: httpx.AsyncClient
    channel: BridgeChannel
    inbox: InboxWorker

    async def stored(self) -> int:
        async with self.channel.engine.storage.unit() as repo:
            return int(await repo.session.scalar(select(func.count()).select_from(InboxItem)) or 0)


@pytest.fixture
async def bot(engine: Engine, bridge: FakeBridge) -> AsyncIterator[Bridged]:
    """Started, with its inbox's worker running and its replies going to `bridge`."""
    sender = BridgeSender(bridge.send_url, SECRET)
    channel = BridgeChannel(engine, sender, SECRET, now=lambda: CLOCK)
    outbox = Outbox(engine.storage, {channel.name: channel}, None, engine.clock)
    inbox = InboxWorker(engine.storage, {channel.name: channel}, engine.catalogs, engine.clock, on_queued=outbox.wake, concurrency=SQLITE_CONCURRENCY)
    working = asyncio.create_task(inbox.run())
    await channel.start(Hub(inbox.store, outbox.failed_later, outbox.wake, failed=lambda: None))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=Starlette(routes=channel.routes())), base_url="http://bot.test") as client:
        try:
            yield Bridged(client, channel, inbox)
        finally:
            await channel.stop()
            inbox.stop()
            await working
            await channel.aclose()


async def post(bot: Bridged, bridge: FakeBridge, text: str = "c koi la prep", at: float = CLOCK, **fields: object) -> httpx.Response:
    """A message from PERSON, signed at `at`; `fields` replace the message's."""
    return await bridge.post(bot.client, bridge.signed({**bridge.message(PERSON, text), **fields}, at=at))


# --- In ------------------------------------------------------------------------------------------


async def test_a_signed_message_is_accepted_once_it_is_stored(bot, bridge):
    response = await post(bot, bridge)
    assert (response.status_code, response.json()) == (200, {"status": "accepted"})
    assert await bot.stored() == 1


async def test_a_call_replayed_within_the_window_is_a_duplicate_stored_once(bot, bridge):
    call = bridge.signed(bridge.message(PERSON, "c koi la prep"), at=CLOCK)
    first, again = await bridge.post(bot.client, call), await bridge.post(bot.client, call)
    assert first.json() == {"status": "accepted"}
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert await bot.stored() == 1


async def test_the_same_id_signed_anew_is_a_duplicate(bot, bridge):
    await post(bot, bridge, id="bridge-message-1")
    again = await post(bot, bridge, at=CLOCK + 5, id="bridge-message-1")
    assert again.json() == {"status": "duplicate"}


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda call: {**call.headers, "X-Bridge-Signature": "sha256=" + "0" * 64}, id="wrong signature"),
        pytest.param(lambda call: {k: v for k, v in call.headers.items() if k != "X-Bridge-Signature"}, id="no signature"),
        pytest.param(lambda call: {k: v for k, v in call.headers.items() if k != "X-Bridge-Timestamp"}, id="no timestamp"),
        pytest.param(lambda call: {**call.headers, "X-Bridge-Timestamp": str(int(CLOCK) + 1)}, id="timestamp changed after signing"),
    ],
)
async def test_a_call_without_a_valid_signature_is_refused_with_401_and_not_stored(bot, bridge, forge):
    call = bridge.signed(bridge.message(PERSON, "c koi la prep"), at=CLOCK)
    response = await bot.client.post("/bridge/v1/messages", content=call.body, headers=forge(call))
    assert (response.status_code, response.json()) == (401, {"error": "wrong or missing signature"})
    assert await bot.stored() == 0


async def test_a_call_signed_with_another_secret_is_refused(bot, bridge):
    call = bridge.signed(bridge.message(PERSON, "c koi la prep"), at=CLOCK, secret="another-secret-of-more-than-32-characters")
    assert (await bridge.post(bot.client, call)).status_code == 401


@pytest.mark.parametrize("offset", [-301, 301], ids=["5 minutes old", "5 minutes ahead"])
async def test_a_timestamp_more_than_five_minutes_away_either_side_is_stale(bot, bridge, offset):
    response = await post(bot, bridge, at=CLOCK + offset)
    assert response.status_code == 401 and response.json()["error"].startswith("stale timestamp")
    assert await bot.stored() == 0


@pytest.mark.parametrize("offset", [-300, 300])
async def test_a_timestamp_five_minutes_away_is_still_in_the_window(bot, bridge, offset):
    assert (await post(bot, bridge, at=CLOCK + offset)).json() == {"status": "accepted"}


async def test_a_body_over_the_limit_is_refused_with_413_before_its_signature_is_read(bot):
    response = await bot.client.post("/bridge/v1/messages", content=b"x" * (MAX_BODY + 1))
    assert response.status_code == 413
    assert await bot.stored() == 0


async def test_the_longest_text_fits_the_body_limit_even_in_arabic_written_as_json_escapes(bot, bridge):
    call = bridge.signed(bridge.message(PERSON, "ب" * MAX_TEXT), at=CLOCK, escaped=True)
    assert len(call.body) > 6 * MAX_TEXT
    assert (await bridge.post(bot.client, call)).json() == {"status": "accepted"}


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"id": None}, "id is missing"),
        ({"id": 42}, "id must be a string"),
        ({"id": "x" * 129}, "id is longer than 128 characters"),
        ({"sender": ""}, "sender is missing"),
        ({"sender": ["+32470123456"]}, "sender must be a string"),
        ({"text": {"body": "hi"}}, "text must be a string"),
        ({"text": "a" * (MAX_TEXT + 1)}, f"text is longer than {MAX_TEXT} characters"),
        ({"kind": "reaction"}, "kind must be one of text, voice, photo, sticker, document, video, location, other"),
        ({"timestamp": "1796000000"}, "timestamp must be a number (Unix seconds)"),
    ],
)
async def test_a_signed_call_with_a_wrong_field_is_refused_with_400_and_a_one_line_reason(bot, bridge, fields, reason):
    response = await post(bot, bridge, **fields)
    assert (response.status_code, response.json()) == (400, {"error": reason})
    assert await bot.stored() == 0


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe", b"[" * 100 + b"]" * 100], ids=["not JSON", "a list", "not UTF-8", "nested deep"])
async def test_a_signed_body_that_is_not_a_json_object_is_refused_with_400(bot, bridge, body):
    call = bridge.signed({}, at=CLOCK)
    headers = {**call.headers, "X-Bridge-Signature": sign(SECRET, call.headers["X-Bridge-Timestamp"], body)}
    response = await bot.client.post("/bridge/v1/messages", content=body, headers=headers)
    assert (response.status_code, response.json()) == (400, {"error": "not a JSON object"})


async def test_refusals_are_logged_without_the_text_or_the_sender(bot, bridge, caplog):
    secret_text = "je suis sans papiers et j'ai peur"
    await post(bot, bridge, text=secret_text, at=CLOCK - 3600)
    await post(bot, bridge, text=secret_text, kind="gif")
    assert "stale" in caplog.text and "kind" in caplog.text
    assert secret_text not in caplog.text and PERSON not in caplog.text


async def test_before_start_a_call_is_answered_503_for_the_bridge_to_send_again(bot, bridge):
    await bot.channel.stop()
    response = await post(bot, bridge)
    assert response.status_code == 503 and await bot.stored() == 0


# --- Handled -------------------------------------------------------------------------------------


async def test_the_answer_comes_to_the_bridge_with_its_choices_numbered_in_the_text_and_as_data(bot, bridge):
    await post(bot, bridge, text="bonjour, c'est quoi la prep ?")
    replies = await bridge.wait_replies(PERSON, 1)
    with_choices = next(reply for reply in replies if reply.choices)
    assert [choice["number"] for choice in with_choices.choices] == list(range(1, len(with_choices.choices) + 1))
    for choice in with_choices.choices:
        assert f"{choice['number']}. {choice['label']}" in with_choices.text


async def test_a_number_written_back_on_the_bridge_picks_that_choice(bot, bridge, faq):
    await post(bot, bridge, text="bonjour, c'est quoi la prep ?")
    await bridge.wait_replies(PERSON, 1)
    await bot.inbox.drain()
    titles = {faq.title(entry, "fr"): entry for entry in faq.entries}
    number, entry = next((choice["number"], titles[choice["label"]]) for reply in bridge.received for choice in reply.choices if choice["label"] in titles)
    before = len(bridge.received)
    await post(bot, bridge, text=str(number), at=CLOCK + 1)
    replies = await bridge.wait_replies(PERSON, before + 1)
    assert replies[before].text.startswith(faq.answer(entry, "fr")[:40])


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "location"])
async def test_a_message_that_is_not_text_gets_the_same_answer_as_on_telegram(bot, bridge, send, kind):
    on_telegram = await send(kind=kind)
    await post(bot, bridge, text="", kind=kind)
    replies = await bridge.wait_replies(PERSON, 1)
    assert replies[0].text.startswith(on_telegram.texts[0])


# --- Out -----------------------------------------------------------------------------------------


async def test_a_reply_is_signed_as_the_contract_says(bridge):
    sender = BridgeSender(bridge.send_url, SECRET)
    assert await sender.send(PERSON, Reply("Bonjour", "fr")) == Delivered()
    await sender.aclose()
    assert bridge.unsigned == 0 and bridge.texts(PERSON) == ["Bonjour"]


async def test_every_try_of_one_outbox_row_carries_the_same_id(bridge):
    sender = BridgeSender(bridge.send_url, SECRET)
    with sending(42):
        await sender.send(PERSON, Reply("Bonjour", "fr"))
        await sender.send(PERSON, Reply("Bonjour", "fr"))
    await sender.aclose()
    assert [reply.id for reply in bridge.received] == ["out-42", "out-42"]


@pytest.mark.parametrize(
    ("status", "retry_after", "result"),
    [
        (503, "7", RetryLater(7)),
        (502, None, RetryLater(RETRY_BUSY)),
        (429, "2", RetryLater(2)),
        (400, None, Undeliverable("invalid")),
        (410, None, Undeliverable("blocked")),
    ],
)
async def test_the_bridges_answer_says_what_the_outbox_does_next(bridge, status, retry_after, result):
    bridge.away_for(60, status=status, retry_after=retry_after)
    sender = BridgeSender(bridge.send_url, SECRET)
    assert await sender.send(PERSON, Reply("Bonjour", "fr")) == result
    await sender.aclose()


async def test_a_bridge_that_cannot_be_reached_is_tried_again_later():
    sender = BridgeSender(UNUSED_URL, SECRET)
    assert await sender.send(PERSON, Reply("Bonjour", "fr")) == RetryLater(RETRY_BUSY)
    await sender.aclose()


def test_a_choice_without_a_number_is_left_out_of_the_choices():
    reply = Reply("Choisis :\n1. PrEP", "fr", (QuickReply("PrEP", "faq:prep.info", number=1), QuickReply("Menu", "menu")))
    assert body_of("out-1", PERSON, reply)["choices"] == [{"number": 1, "label": "PrEP"}]


# --- Settings ------------------------------------------------------------------------------------


def test_both_bridge_settings_turn_the_channel_on():
    settings = load_settings(bridge_secret=SECRET, bridge_send_url="http://127.0.0.1:8090/send", telegram_bot_token=None)
    assert [channel.name for channel in configured(settings)] == ["bridge"]


def test_a_bridge_secret_shorter_than_32_characters_is_refused_in_one_sentence_that_says_why():
    with pytest.raises(SettingsError) as error:
        load_settings(bridge_secret="x" * 31, bridge_send_url="http://127.0.0.1:8090/send")
    message = str(error.value)
    assert "BRIDGE_SECRET" in message and "32" in message and "openssl rand" in message and "\n" not in message


@pytest.mark.parametrize(("given", "missing"), [({"bridge_secret": SECRET}, "BRIDGE_SEND_URL"), ({"bridge_send_url": "http://127.0.0.1:8090/send"}, "BRIDGE_SECRET")])
def test_one_bridge_setting_without_the_other_is_one_sentence_naming_the_other(given, missing):
    with pytest.raises(SettingsError) as error:
        load_settings(**given)
    assert f"set {missing} too" in str(error.value) and "\n" not in str(error.value) and str(error.value).endswith(".")
