"""All settings, read in one place: the environment, then an optional `.env` file.

A wrong value stops the program at start with one sentence that names the setting, rather than
a traceback in the middle of a busy evening.
"""

from pathlib import Path
from typing import Literal

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///outreach-bot.sqlite3"


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one sentence for the person starting the bot."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: AnyHttpUrl = AnyHttpUrl("https://api.telegram.org")
    database_url: str = DEFAULT_DATABASE_URL
    nlu_backend: Literal["embedded", "rasa"] = "embedded"
    rasa_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:5005")
    faq_dir: Path = REPOSITORY / "faq"
    nlu_data_dir: Path = REPOSITORY / "nlu" / "data"
    locales_dir: Path = REPOSITORY / "locales"
    schedule_file: Path = REPOSITORY / "handover" / "schedule.yml"
    staff_chat_id: int | None = None
    pseudonym_secret: SecretStr | None = None
    retention_days: int = Field(default=30, ge=1, le=3650)
    faq_reload_seconds: float = Field(default=5.0, ge=0)
    """How often the running bot looks for FAQ edits; 0 turns live reloading off."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """Accept the usual URL spellings and pick the async driver the bot uses."""
        for plain, driver in (
            ("sqlite://", "sqlite+aiosqlite://"),
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
        ):
            if value.startswith(plain):
                return driver + value[len(plain) :]
        if value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            return value
        raise ValueError("must start with sqlite:// or postgresql://")

    @field_validator("faq_dir", "nlu_data_dir", "locales_dir")
    @classmethod
    def _existing_folder(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError(f"{value} is not a folder")
        return value

    @field_validator("schedule_file")
    @classmethod
    def _existing_file(cls, value: Path) -> Path:
        if not value.is_file():
            raise ValueError(f"{value} is not a file")
        return value

    @field_validator("pseudonym_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters long")
        return value


def load_settings(**overrides: object) -> Settings:
    """Read the settings, or raise SettingsError with one clear sentence."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "a setting"
        reason = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"The setting {name} is wrong: {reason}.") from None


def require_telegram_token(settings: Settings) -> str:
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value().strip():
        raise SettingsError("The setting TELEGRAM_BOT_TOKEN is missing: ask @BotFather for a token and set it.")
    return settings.telegram_bot_token.get_secret_value()
