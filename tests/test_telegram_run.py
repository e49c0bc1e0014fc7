"""`outreach-bot run` as the team starts it: a process of its own, stopped by a signal."""

import asyncio
import socket

import httpx
import pytest
from test_telegram_webhook import free_port
from test_whatsapp_run import whatsapp_environment

from bot.app import start
from bot.cli import main
from bot.errors import SettingsError
from bot.service import serve
from bot.web import HEALTH_PATH
from fakes.running import bot_process, bot_settings
from fakes.telegram_api import Person

NADIA = Person(987_654_321, first_name="Nadiaprivate", username="nadia_secret_handle", language_code="fr")
QUESTION = "c koi la prep exactement svp"


async def test_outreach_bot_run_answers_start_and_logs_no_text_name_or_id(bot_api, tmp_path):
    async with bot_process(bot_api, tmp_path) as running:
        bot_api.message(NADIA, "/start")
        bot_api.message(NADIA, QUESTION)
        await bot_api.settle()

    assert running.returncode == 0, running.logs
    assert bot_api.texts(NADIA.id)[0].startswith("Bonjour et bienvenue")
    assert "running (long polling)" in running.logs
    for private in (str(NADIA.id), NADIA.first_name, NADIA.username, QUESTION, "Bonjour", bot_api.token.split(":")[1]):
        assert private not in running.logs


def test_run_without_any_channel_stops_with_one_sentence_naming_the_settings(monkeypatch, capsys):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("WHATSAPP_PHONE_NUMBER_ID", raising=False)
    assert main(["run"]) == 2
    error = capsys.readouterr().err
    assert "TELEGRAM_BOT_TOKEN" in error and "WHATSAPP" in error and error.count("\n") == 1 and "Traceback" not in error


def test_a_staff_group_without_telegram_stops_with_one_sentence(monkeypatch, capsys):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    for name, value in whatsapp_environment("http://127.0.0.1:9").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("STAFF_CHAT_ID", "-1001234567890")
    assert main(["run"]) == 2
    error = capsys.readouterr().err
    assert "STAFF_CHAT_ID" in error and "TELEGRAM_BOT_TOKEN" in error and error.count("\n") == 1


async def stop_reason(settings, faq, nlu) -> str:
    app = await start(settings, (faq, nlu))
    try:
        with pytest.raises(SettingsError) as error:
            await serve(settings, app, asyncio.Event())
    finally:
        await app.close()
    return str(error.value)


async def test_a_token_the_bot_api_refuses_is_one_sentence(bot_api, tmp_path, faq, nlu):
    settings = bot_settings(bot_api, f"sqlite:///{tmp_path / 'bot.sqlite3'}", telegram_bot_token="1:refused-token")
    reason = await stop_reason(settings, faq, nlu)
    assert "TELEGRAM_BOT_TOKEN" in reason and "\n" not in reason


async def test_an_unreachable_bot_api_is_one_sentence(bot_api, tmp_path, faq, nlu):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    settings = bot_settings(bot_api, f"sqlite:///{tmp_path / 'bot.sqlite3'}", telegram_api_base_url=closed)
    reason = await stop_reason(settings, faq, nlu)
    assert "TELEGRAM_API_BASE_URL" in reason and closed in reason and "\n" not in reason


async def test_with_health_check_the_web_server_answers_in_long_polling_too(bot_api, tmp_path):
    port = free_port()
    async with bot_process(bot_api, tmp_path, HTTP_PORT=str(port), HEALTH_CHECK="true"), httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}{HEALTH_PATH}")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
