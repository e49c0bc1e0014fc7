"""`outreach-bot run` with the WhatsApp settings: the webhook on the bot's own web server, answers through the Graph API address set."""

import json

import httpx
import pytest
from test_telegram_webhook import free_port

from bot.channels.telegram.webhook import SECRET_HEADER
from bot.channels.telegram.webhook import WEBHOOK_PATH as TELEGRAM_WEBHOOK_PATH
from bot.channels.whatsapp.channel import SIGNATURE_HEADER, WEBHOOK_PATH
from bot.errors import SettingsError
from bot.settings import load_settings
from fakes.graph_api import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, TEMPLATE_NAME, VERIFY_TOKEN, VERSION, WaPerson
from fakes.running import bot_process, bot_settings, running_bot

NADIA = WaPerson("32470999888", name="Nadia Private")
QUESTION = "c koi la prep exactement svp"
UNUSED_URL = "http://127.0.0.1:9"


def whatsapp_environment(graph_api_url: str) -> dict[str, str]:
    return {
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_API_BASE_URL": graph_api_url,
        "WHATSAPP_API_VERSION": VERSION,
        "WHATSAPP_TEMPLATE_NAME": TEMPLATE_NAME,
    }


async def post_signed(client: httpx.AsyncClient, graph_api, payload: dict) -> httpx.Response:
    body = json.dumps(payload).encode()
    return await client.post(WEBHOOK_PATH, content=body, headers={SIGNATURE_HEADER: graph_api.sign(body), "Content-Type": "application/json"})


async def test_outreach_bot_run_answers_a_signed_whatsapp_message_and_logs_no_number_name_or_text(bot_api, graph_api, tmp_path):
    """Telegram by long polling; the web server runs for WhatsApp alone."""
    port = free_port()
    async with bot_process(bot_api, tmp_path, HTTP_PORT=str(port), **whatsapp_environment(graph_api.url)) as running:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            forged = await client.post(WEBHOOK_PATH, json=graph_api.message(NADIA, QUESTION), headers={SIGNATURE_HEADER: "sha256=" + "0" * 64})
            answered = await post_signed(client, graph_api, graph_api.message(NADIA, QUESTION))
        await graph_api.wait_sent(NADIA, 2)

    logs = running.logs
    assert running.returncode == 0, logs
    assert (forged.status_code, answered.status_code) == (403, 200)
    assert graph_api.texts(NADIA)[0].startswith("Voici l'essentiel")
    assert "The web server is listening" in logs
    for private in (NADIA.wa_id, NADIA.name, QUESTION, "Voici l'essentiel", ACCESS_TOKEN, APP_SECRET):
        assert private not in logs


async def test_outreach_bot_run_serves_whatsapp_alone_without_a_telegram_token(bot_api, graph_api, tmp_path):
    port = free_port()
    async with bot_process(bot_api, tmp_path, telegram=False, HTTP_PORT=str(port), **whatsapp_environment(graph_api.url)) as running:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            answered = await post_signed(client, graph_api, graph_api.message(NADIA, QUESTION))
        await graph_api.wait_sent(NADIA, 2)
    assert running.returncode == 0, running.logs
    assert answered.status_code == 200
    assert graph_api.texts(NADIA)[0].startswith("Voici l'essentiel")
    assert bot_api.calls == []


async def test_in_webhook_mode_whatsapp_and_telegram_share_the_server_and_each_checks_its_own_secret(bot_api, graph_api, database_url, faq, nlu):
    settings = bot_settings(
        bot_api,
        database_url,
        webhook_url="https://bot.example.org/webhooks/telegram",
        webhook_secret="a-webhook-secret-of-32-characters",
        http_port=free_port(),
        **{name.lower(): value for name, value in whatsapp_environment(graph_api.url).items()},
    )
    async with running_bot(bot_api, settings, (faq, nlu)), httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}") as client:
        challenge = await client.get(WEBHOOK_PATH, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"})
        telegram_without_its_secret = await client.post(TELEGRAM_WEBHOOK_PATH, json={})
        whatsapp_with_telegrams_secret = await client.post(
            WEBHOOK_PATH, json=graph_api.message(NADIA, QUESTION), headers={SECRET_HEADER: "a-webhook-secret-of-32-characters"}
        )
        answered = await post_signed(client, graph_api, graph_api.message(NADIA, QUESTION))
        await graph_api.wait_sent(NADIA, 1)

    assert (challenge.status_code, challenge.text) == (200, "42")
    assert telegram_without_its_secret.status_code == whatsapp_with_telegrams_secret.status_code == 403
    assert answered.status_code == 200 and graph_api.texts(NADIA)[0].startswith("Voici l'essentiel")


@pytest.mark.parametrize("missing", ["WHATSAPP_APP_SECRET", "WHATSAPP_TEMPLATE_NAME"])
def test_whatsapp_settings_half_set_stop_the_bot_with_one_sentence_naming_what_is_missing(monkeypatch, missing):
    for name, value in whatsapp_environment(UNUSED_URL).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(missing)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert missing in str(error.value) and "\n" not in str(error.value) and str(error.value).endswith(".")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WHATSAPP_PHONE_NUMBER_ID", "+32 470 00 00 00"),
        ("WHATSAPP_API_VERSION", "21"),
        ("WHATSAPP_TEMPLATE_NAME", "Answer Waiting"),
        ("WHATSAPP_TEMPLATE_LANGUAGES", "fr:fr,es:es"),
        ("WHATSAPP_TEMPLATE_LANGUAGES", "fr:fr,es:es,ar:ar,en:english"),
        ("WHATSAPP_API_BASE_URL", "graph.facebook.com"),
    ],
)
def test_a_wrong_whatsapp_setting_is_named_in_one_sentence(monkeypatch, name, value):
    for key, setting in whatsapp_environment(UNUSED_URL).items():
        monkeypatch.setenv(key, setting)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert name in str(error.value) and "\n" not in str(error.value)


def test_without_any_whatsapp_setting_the_channel_is_off(monkeypatch):
    for name in ("WHATSAPP_VERIFY_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_TEMPLATE_NAME"):
        monkeypatch.delenv(name, raising=False)
    assert load_settings().whatsapp_enabled is False

