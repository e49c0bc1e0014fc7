"""Webhooks hardened: bodies bounded in size and nesting, malformed or mistyped ones refused with 400, none of it logged.

Telegram's webhook and the health check are reached on the bot's real web server (webhook mode
of `outreach-bot run`); WhatsApp's webhook in-process, as in test_whatsapp.py. Every body carries
a name, a phone number and a phrase that must not reach the logs.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.channels.telegram.webhook import MAX_BODY as TELEGRAM_MAX_BODY
from bot.channels.telegram.webhook import SECRET_HEADER
from bot.channels.telegram.webhook import WEBHOOK_PATH as TELEGRAM_WEBHOOK_PATH
from bot.channels.whatsapp.channel import MAX_BODY, SIGNATURE_HEADER, WEBHOOK_PATH
from bot.service import QUIETER_LOGGERS
from bot.web import MAX_JSON_DEPTH, json_depth_exceeds
from fakes.graph_api import WaPerson
from fakes.running import bot_settings, running_bot
from fakes.telegram_api import Person
from fakes.whatsapp_bot import whatsapp_bot
from nlu.rasa_server import free_port

SECRET = "a-webhook-secret-of-32-characters"
NAME, PHONE, PHRASE = "Amina Secretname", "32470999888", "ma phrase secrete du marqueur"
PRIVATE = (NAME, PHONE, PHRASE)
AMINA = Person(4001, first_name=NAME, language_code="fr")
WA_AMINA = WaPerson(PHONE, name=NAME)
DEEP = b"[" * 100_000 + b"]" * 100_000



@pytest.fixture
def quiet_caplog(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Everything the bot logs, at DEBUG, with the libraries kept as quiet as `outreach-bot run` keeps them."""
    caplog.set_level(logging.DEBUG)
    for name, level in QUIETER_LOGGERS.items():
        caplog.set_level(level, logger=name)
    return caplog


def nothing_private_nor_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    for private in PRIVATE:
        assert private not in caplog.text
    assert "Traceback" not in caplog.text
    assert [record.getMessage() for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR] == []


def nested(value: object, depth: int) -> object:
    for _ in range(depth):
        value = [value]
    return value


def a_message(**fields: object) -> dict:
    """A Telegram update of AMINA's with `fields` put into its message."""
    message = {"message_id": 1, "date": 1_700_000_000, "chat": AMINA.chat(), "from": AMINA.user(), "text": f"{PHRASE} {PHONE}", **fields}
    return {"update_id": 7, "message": message}


# --- Telegram --------------------------------------------------------------------------------------


@pytest.fixture
async def telegram_web(bot_api, database_url, faq, nlu) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the running bot's web server (webhook mode), once it answers."""
    settings = bot_settings(
        bot_api, database_url, webhook_url="https://bot.example.org/webhooks/telegram", webhook_secret=SECRET, http_host="127.0.0.1", http_port=free_port()
    )
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}", headers={SECRET_HEADER: SECRET})
    async with running_bot(bot_api, settings, (faq, nlu)), client:
        for _ in range(100):
            if (await client.get("/healthz")).status_code == 200:
                break
            await asyncio.sleep(0.02)
        yield client


MALFORMED_UPDATES = {
    "not json": f'{{"update_id": 1, "message": "{PHRASE}'.encode(),
    "not utf-8": f'{{"text": "{PHRASE}"}}'.encode("utf-16"),
    "not an object": json.dumps([NAME, PHONE, PHRASE]).encode(),
    "a message that is a string": json.dumps({"update_id": 1, "message": f"{PHRASE} {PHONE}"}).encode(),
    "an update_id that is a string": json.dumps({"update_id": PHONE}).encode(),
    "a text that is a list": json.dumps(a_message(text=[PHRASE, PHONE])).encode(),
    "a chat that is a string": json.dumps(a_message(chat=NAME)).encode(),
    "a date PTB cannot read": json.dumps(a_message(date=PHRASE)).encode(),
    "a sender that is a string": json.dumps(a_message(**{"from": NAME})).encode(),
    "a button press without its sender": json.dumps({"update_id": 1, "callback_query": {"id": PHONE, "data": PHRASE}}).encode(),
    "100,000 deep": DEEP,
    "deep inside a real update": json.dumps(a_message(entities=nested({"x": PHRASE}, MAX_JSON_DEPTH))).encode(),
}


@pytest.mark.parametrize("body", MALFORMED_UPDATES.values(), ids=MALFORMED_UPDATES.keys())
async def test_a_malformed_or_mistyped_telegram_update_is_a_400_that_logs_none_of_it(telegram_web, bot_api, quiet_caplog, body):
    response = await telegram_web.post(TELEGRAM_WEBHOOK_PATH, content=body, headers={"Content-Type": "application/json"})
    await bot_api.settle()

    assert (response.status_code, response.text) == (400, "malformed update")
    assert bot_api.sent(AMINA.id) == []
    nothing_private_nor_a_traceback(quiet_caplog)


async def test_a_telegram_update_past_the_limit_is_refused_on_its_length(telegram_web, bot_api, quiet_caplog):
    padding = (f"{PHRASE} {PHONE} " * (TELEGRAM_MAX_BODY // 40)).encode()
    body = json.dumps(a_message(text="x")).encode()[:-2] + b', "caption": "' + padding + b'"}}'
    assert len(body) > TELEGRAM_MAX_BODY
    response = await telegram_web.post(TELEGRAM_WEBHOOK_PATH, content=body)
    await bot_api.settle()

    assert response.status_code == 413
    assert bot_api.sent(AMINA.id) == []
    nothing_private_nor_a_traceback(quiet_caplog)


async def test_a_telegram_update_sent_in_chunks_is_refused_once_it_passes_the_limit(telegram_web, quiet_caplog):
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        """Without a length: only the bytes read tell the size. Four times the limit, if the server read on."""
        nonlocal sent
        yield b'{"update_id": 1, "message": {"text": "'
        while sent < 4 * TELEGRAM_MAX_BODY:
            chunk = (f"{PHRASE} {PHONE} " * 1000).encode()
            sent += len(chunk)
            yield chunk

    response = await telegram_web.post(TELEGRAM_WEBHOOK_PATH, content=endless())

    assert response.status_code == 413
    nothing_private_nor_a_traceback(quiet_caplog)


async def test_a_good_update_just_under_the_limit_is_still_answered(telegram_web, bot_api):
    update = bot_api.new_message(AMINA, "/help")
    update["message"]["caption"] = "x" * (TELEGRAM_MAX_BODY - len(json.dumps(update)) - 100)
    body = json.dumps(update).encode()
    assert TELEGRAM_MAX_BODY - 200 < len(body) <= TELEGRAM_MAX_BODY

    response = await telegram_web.post(TELEGRAM_WEBHOOK_PATH, content=body)
    await bot_api.settle()

    assert response.status_code == 200 and bot_api.texts(AMINA.id)


async def test_the_health_check_takes_no_body(telegram_web, quiet_caplog):
    with_body = await telegram_web.request("GET", "/healthz", content=f"{PHRASE} {PHONE}".encode())
    plain = await telegram_web.get("/healthz")

    assert (with_body.status_code, plain.status_code) == (413, 200)
    nothing_private_nor_a_traceback(quiet_caplog)


# --- WhatsApp --------------------------------------------------------------------------------------


@pytest.fixture
async def whatsapp(graph_api, engine):
    async with whatsapp_bot(graph_api, engine) as running:
        yield running


def with_message(payload: dict, **fields: object) -> dict:
    """A copy of a webhook call whose (first) message has `fields` put in."""
    copy = json.loads(json.dumps(payload))
    copy["entry"][0]["changes"][0]["value"]["messages"][0].update(fields)
    return copy


def with_value(payload: dict, **fields: object) -> dict:
    copy = json.loads(json.dumps(payload))
    copy["entry"][0]["changes"][0]["value"].update(fields)
    return copy


def mistyped_calls(graph) -> dict[str, dict]:
    message = graph.message(WA_AMINA, f"{PHRASE} {PHONE}")
    return {
        "a type that is a list": with_message(message, type=["text"]),
        "a text that is a string": with_message(message, text=f"{PHRASE} {PHONE}"),
        "a body that is a list": with_message(message, text={"body": [PHRASE]}),
        "a sender that is a number": with_message(message, **{"from": int(PHONE)}),
        "an id that is an object": with_message(message, id={"wamid": PHONE}),
        "a button reply that is a string": with_message(message, type="interactive", interactive={"type": "button_reply", "button_reply": PHRASE}),
        "messages that are an object": with_value(message, messages={"text": PHRASE}),
        "a message that is a string": with_value(message, messages=[f"{PHRASE} {PHONE}"]),
        "metadata that is a string": with_value(message, metadata=PHONE),
        "an error code that is a string": with_value(message, messages=[], statuses=[{"id": "wamid.1", "status": "failed", "errors": [{"code": PHRASE}]}]),
        "entries that are a string": {"object": "whatsapp_business_account", "entry": f"{PHRASE} {PHONE}"},
        "a value that is a list": {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": [PHRASE]}]}]},
    }


async def post_signed(whatsapp, body: bytes) -> httpx.Response:
    headers = {SIGNATURE_HEADER: whatsapp.graph.sign(body), "Content-Type": "application/json"}
    return await whatsapp.client.post(WEBHOOK_PATH, content=body, headers=headers)


@pytest.mark.parametrize(
    "case",
    [
        "a type that is a list",
        "a text that is a string",
        "a body that is a list",
        "a sender that is a number",
        "an id that is an object",
        "a button reply that is a string",
        "messages that are an object",
        "a message that is a string",
        "metadata that is a string",
        "an error code that is a string",
        "entries that are a string",
        "a value that is a list",
    ],
)
async def test_a_signed_but_mistyped_whatsapp_call_is_a_400_that_logs_none_of_it(whatsapp, quiet_caplog, case):
    response = await post_signed(whatsapp, json.dumps(mistyped_calls(whatsapp.graph)[case]).encode())
    await whatsapp.settle()

    assert (response.status_code, response.text) == (400, "malformed")
    assert whatsapp.graph.calls == []
    nothing_private_nor_a_traceback(quiet_caplog)


@pytest.mark.parametrize(
    "body",
    [DEEP, json.dumps([NAME, PHONE, PHRASE]).encode(), f'{{"text": "{PHRASE}"}}'.encode("utf-16"), b'{"object": "whatsapp_business_account", "x": "' + PHRASE.encode()],
    ids=["100,000 deep", "not an object", "not utf-8", "not json"],
)
async def test_a_signed_whatsapp_call_that_is_not_a_bounded_json_object_is_a_400(whatsapp, quiet_caplog, body):
    response = await post_signed(whatsapp, body)

    assert response.status_code == 400
    nothing_private_nor_a_traceback(quiet_caplog)


async def test_a_whatsapp_call_past_the_limit_is_refused_unread(whatsapp, quiet_caplog):
    body = b'{"text": "' + (f"{PHRASE} {PHONE} " * (MAX_BODY // 40)).encode() + b'"}'
    assert len(body) > MAX_BODY

    response = await post_signed(whatsapp, body)

    assert response.status_code == 413
    nothing_private_nor_a_traceback(quiet_caplog)


async def test_a_well_formed_call_is_still_answered(whatsapp):
    response = await whatsapp.deliver(whatsapp.graph.message(WA_AMINA, "c koi la prep"))
    assert response.status_code == 200 and whatsapp.graph.texts(WA_AMINA)


# --- The nesting check -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "deeper_than_2"),
    [
        ('{"a": "[[[[[[{{{{"}', False),
        ('{"a": "\\\\", "b": [1]}', False),
        ('{"a": "\\"[[[[[", "b": [1]}', False),
        ("[[[]]]", True),
        ('{"a": [{"b": 1}]}', True),
        ('[["]]]]"]]', False),
    ],
)
def test_the_nesting_is_counted_outside_strings(document, deeper_than_2):
    json.loads(document)
    assert json_depth_exceeds(document, 2) is deeper_than_2


def test_real_bodies_nest_well_within_the_limit(graph_api):
    reply = graph_api.message(WA_AMINA, type="interactive", interactive={"type": "list_reply", "list_reply": {"id": "faq:prep.info", "title": "PrEP"}})
    assert not json_depth_exceeds(json.dumps(reply), 12)
    assert not json_depth_exceeds(json.dumps(a_message(reply_to_message=a_message()["message"], entities=[{"type": "bold"}])), 12)
    assert MAX_JSON_DEPTH > 12
