"""Settings: read in one place; a wrong value stops the program with one clear sentence."""

import io

import pytest

from bot.cli import main
from bot.errors import SettingsError
from bot.settings import load_settings, require_telegram_token


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NLU_BACKEND", "chatgpt"),
        ("DATABASE_URL", "mysql://localhost/bot"),
        ("STAFF_CHAT_ID", "the-staff-group"),
        ("FAQ_DIR", "/no/such/folder"),
        ("PSEUDONYM_SECRET", "short"),
        ("RASA_URL", "not a url"),
        ("RETENTION_DAYS", "0"),
    ],
)
def test_wrong_setting_is_named_in_one_sentence(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    message = str(error.value)
    assert name in message and "\n" not in message and message.endswith(".")


def test_wrong_setting_stops_the_command_without_a_traceback(monkeypatch, capsys):
    monkeypatch.setenv("NLU_BACKEND", "chatgpt")
    assert main(["faq", "lint"]) == 2
    err = capsys.readouterr().err
    assert "NLU_BACKEND" in err and "Traceback" not in err


def test_plain_database_urls_get_the_async_driver(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot@db/bot")
    assert load_settings().database_url == "postgresql+asyncpg://bot@db/bot"


def test_default_database_is_a_sqlite_file(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert load_settings().database_url.startswith("sqlite+aiosqlite:///")


def test_dotenv_file_is_read(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STAFF_CHAT_ID", raising=False)
    (tmp_path / ".env").write_text("STAFF_CHAT_ID=-1001234\n")
    assert load_settings().staff_chat_id == -1001234


def test_environment_wins_over_dotenv(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("STAFF_CHAT_ID=-1001234\n")
    monkeypatch.setenv("STAFF_CHAT_ID", "-100999")
    assert load_settings().staff_chat_id == -100999


def test_missing_telegram_token_is_a_clear_sentence(monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        require_telegram_token(load_settings())


@pytest.mark.parametrize(
    "url",
    ["postgresql://bot:not-a-real-password@127.0.0.1:9/bot", "sqlite:////dev/null/bot.sqlite3"],
    ids=["postgresql not running", "sqlite in a folder that cannot be"],
)
def test_a_database_that_cannot_be_opened_is_one_sentence_naming_database_url(monkeypatch, capsys, tmp_path, url):
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SENT_JOURNAL", str(tmp_path / "sent"))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["chat"]) == 2
    error = capsys.readouterr().err
    assert error.splitlines()[-1].startswith("outreach-bot: The setting DATABASE_URL")
    assert "Traceback" not in error and "not-a-real-password" not in error
