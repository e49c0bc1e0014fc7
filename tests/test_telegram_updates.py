"""How updates are taken in hand: one chat in order, chats side by side, each update once, across processes."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from telegram import Update

from bot.channels.telegram.application import ChatOrderedUpdateProcessor, bot_api_urls
from bot.errors import SettingsError
from bot.settings import load_settings
from bot.storage import Storage, connect, upgrade
from handover.jobs import REMEMBER_DELIVERIES, forget_old_deliveries

NOW = datetime(2026, 12, 1, 21, 0, tzinfo=UTC)


def update(update_id: int, chat_id: int) -> Update:
    chat = {"id": chat_id, "type": "private"}
    message = {"message_id": update_id, "date": 0, "chat": chat, "from": {"id": chat_id, "is_bot": False, "first_name": "P"}, "text": "x"}
    return Update.de_json({"update_id": update_id, "message": message}, None)


async def test_one_chats_updates_are_handled_in_order_and_other_chats_meanwhile():
    processor = ChatOrderedUpdateProcessor(16)
    log: list[tuple[str, int]] = []

    async def handle(number: int, seconds: float) -> None:
        log.append(("start", number))
        await asyncio.sleep(seconds)
        log.append(("end", number))

    await asyncio.gather(
        processor.process_update(update(1, 10), handle(1, 0.05)),
        processor.process_update(update(2, 10), handle(2, 0.0)),
        processor.process_update(update(3, 20), handle(3, 0.0)),
    )
    assert log.index(("end", 1)) < log.index(("start", 2))
    assert log.index(("end", 3)) < log.index(("end", 1))
    assert len(processor._turns) == 0


async def test_an_update_is_noted_once_even_by_two_bot_processes(database_url):
    first, second = Storage(connect(database_url)), Storage(connect(database_url))
    await upgrade(first.engine)
    async with first.unit() as repo:
        noted_first = await repo.first_delivery("telegram", "501", NOW)
    async with second.unit() as repo:
        noted_again = await repo.first_delivery("telegram", "501", NOW)
        other_channel = await repo.first_delivery("whatsapp", "501", NOW)
    await first.close()
    await second.close()
    assert (noted_first, noted_again, other_channel) == (True, False, True)


async def test_delivery_ids_are_forgotten_once_no_platform_would_deliver_again(database_url):
    store = Storage(connect(database_url))
    await upgrade(store.engine)
    async with store.unit() as repo:
        await repo.first_delivery("whatsapp", "1", NOW - REMEMBER_DELIVERIES - timedelta(minutes=1))
        await repo.first_delivery("whatsapp", "2", NOW - REMEMBER_DELIVERIES + timedelta(minutes=1))
    forgotten = await forget_old_deliveries(store, NOW)
    async with store.unit() as repo:
        again = [await repo.first_delivery("whatsapp", key, NOW) for key in ("1", "2")]
    await store.close()
    assert forgotten == 1 and again == [True, False]


@pytest.mark.parametrize("root", ["https://api.telegram.org", "https://api.telegram.org/", "https://api.telegram.org/bot", "http://127.0.0.1:8081"])
def test_the_api_setting_is_the_server_root_and_ptb_gets_its_bot_urls(root):
    base, files = bot_api_urls(load_settings(telegram_api_base_url=root))
    server = root.rstrip("/").removesuffix("/bot")
    assert (base, files) == (f"{server}/bot", f"{server}/file/bot")


@pytest.mark.parametrize(
    ("values", "name"),
    [
        ({"WEBHOOK_URL": "https://bot.example.org/webhooks/telegram"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_URL": "https://bot.example.org/webhooks/telegram", "WEBHOOK_SECRET": "short"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_SECRET": "has spaces and is long enough"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_URL": "not a url", "WEBHOOK_SECRET": "a-long-enough-secret-123"}, "WEBHOOK_URL"),
        ({"HTTP_PORT": "70000"}, "HTTP_PORT"),
        ({"TELEGRAM_RATE_LIMIT": "-1"}, "TELEGRAM_RATE_LIMIT"),
    ],
)
def test_a_wrong_telegram_setting_is_named_in_one_sentence(monkeypatch, values, name):
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert name in str(error.value) and "\n" not in str(error.value)


def test_an_empty_webhook_url_means_long_polling(monkeypatch):
    monkeypatch.setenv("WEBHOOK_URL", "")
    monkeypatch.setenv("WEBHOOK_SECRET", "")
    assert load_settings().webhook_url is None
