"""Webhook mode: the bot's own Starlette server takes Telegram's calls, and only those that carry the secret."""

import asyncio
import socket

import httpx
import pytest

from bot.channels.telegram.webhook import SECRET_HEADER
from bot.channels.telegram.webhook import WEBHOOK_PATH as TELEGRAM_WEBHOOK_PATH
from bot.errors import SettingsError
from bot.web import listen
from fakes.running import bot_settings, running_bot
from fakes.telegram_api import Person
from nlu.rasa_server import free_port

SECRET = "a-webhook-secret-of-32-characters"
PUBLIC_URL = "https://bot.example.org/webhooks/telegram"
AMINA = Person(2001, language_code="fr")


@pytest.fixture
def webhook_settings(bot_api, database_url):
    return bot_settings(bot_api, database_url, webhook_url=PUBLIC_URL, webhook_secret=SECRET, http_host="127.0.0.1", http_port=free_port())


async def healthy(client: httpx.AsyncClient) -> httpx.Response:
    """/healthz says ok once the application runs (a moment after Telegram is told the URL)."""
    for _ in range(100):
        response = await client.get("/healthz")
        if response.status_code == 200:
            return response
        await asyncio.sleep(0.02)
    return response


async def test_the_webhook_answers_403_without_the_secret_and_handles_the_update_with_it(bot_api, webhook_settings, faq, nlu):
    update = bot_api.new_message(AMINA, "/start")
    async with running_bot(bot_api, webhook_settings, (faq, nlu)), httpx.AsyncClient(base_url=f"http://127.0.0.1:{webhook_settings.http_port}") as client:
        assert (await healthy(client)).json() == {"status": "ok"}
        missing = await client.post(TELEGRAM_WEBHOOK_PATH, json=update)
        wrong = await client.post(TELEGRAM_WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET[:-1] + "X"})
        await bot_api.settle()
        assert bot_api.sent(AMINA.id) == []
        right = await client.post(TELEGRAM_WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
        await bot_api.settle()

    assert (missing.status_code, wrong.status_code, right.status_code) == (403, 403, 200)
    assert bot_api.texts(AMINA.id)[0].startswith("Bonjour et bienvenue")
    assert bot_api.webhook is not None and bot_api.webhook["url"] == PUBLIC_URL and bot_api.webhook["secret_token"] == SECRET
    assert bot_api.calls_to("getUpdates") == []


async def test_a_malformed_update_is_refused_with_400(bot_api, webhook_settings, faq, nlu):
    async with running_bot(bot_api, webhook_settings, (faq, nlu)), httpx.AsyncClient(base_url=f"http://127.0.0.1:{webhook_settings.http_port}") as client:
        await healthy(client)
        not_json = await client.post(TELEGRAM_WEBHOOK_PATH, content=b"{not json", headers={SECRET_HEADER: SECRET})
        not_an_update = await client.post(TELEGRAM_WEBHOOK_PATH, json=["update"], headers={SECRET_HEADER: SECRET})

    assert not_json.status_code == not_an_update.status_code == 400


def test_a_busy_port_is_one_sentence_naming_the_settings():
    with socket.create_server(("127.0.0.1", 0)) as busy, pytest.raises(SettingsError, match="HTTP_PORT") as error:
        listen("127.0.0.1", busy.getsockname()[1])
    assert "\n" not in str(error.value)
