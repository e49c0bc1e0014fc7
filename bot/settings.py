"""All settings, read in one place: the environment, then an optional `.env` file.

A wrong value stops the program at start with one sentence that names the setting, rather than
a traceback in the middle of a busy evening.
"""

import os
import re
import sys
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy import make_url

from bot.errors import SettingsError
from bot.languages import DEFAULT, SPOKEN, Language
from handover.staff import parse_staff_ids

REPOSITORY = Path(__file__).resolve().parent.parent
CONTENT = REPOSITORY if (REPOSITORY / "faq").is_dir() else Path(sys.prefix) / "share" / "outreach-bot"
"""Where the FAQ and the bot's sentences are by default: the checkout's own folders, or the copy that
installing the package put under its prefix (pyproject.toml's data-files)."""
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///outreach-bot.sqlite3"
DEFAULT_TEMPLATE_LANGUAGES = "fr:fr,es:es,ar:ar,en:en_US"
WHATSAPP_REQUIRED = ("whatsapp_verify_token", "whatsapp_app_secret", "whatsapp_access_token", "whatsapp_phone_number_id", "whatsapp_template_name")
"""Without any one of these the WhatsApp channel cannot work: all are set, or none."""
BRIDGE_SECRET_LENGTH = 32


def _user_cache_dir() -> Path:
    """Where the Rasa environment (2-3 GB) and models go: outside the repository, shared by checkouts."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "outreach-bot"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: AnyHttpUrl = AnyHttpUrl("https://api.telegram.org")
    telegram_rate_limit: float = Field(default=30, ge=0)
    """Messages per second the bot sends at most, all chats together; 0 lifts the limit."""
    webhook_url: AnyHttpUrl | None = None
    """Set: Telegram posts updates to this public URL (webhook mode); unset: long polling."""
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)
    health_check: bool = False
    """The web server, with GET /healthz, runs even when no channel needs it (Telegram by long polling); the Docker image sets it."""
    database_url: str = DEFAULT_DATABASE_URL
    last_good_dir: Path | None = None
    """Where the last FAQ that passed validation is kept; unset: beside the SQLite file, or in the working folder."""
    sent_journal: Path | None = None
    """Where the replies a platform took are noted the instant it does (bot/storage/journal.py); unset:
    beside the SQLite database file, or `outreach-bot-sent` in the working directory with PostgreSQL."""
    nlu_backend: Literal["embedded", "rasa"] = "embedded"
    rasa_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:5005")
    rasa_token: SecretStr | None = None
    """The Rasa server's API token (`rasa run --auth-token`): needed by NLU_BACKEND=rasa and `nlu rasa-serve`."""
    rasa_python: str | None = None
    """The Python 3.10 that runs Rasa; unset: `python3.10` on PATH, else pyenv's newest 3.10."""
    rasa_cache_dir: Path = Field(default_factory=_user_cache_dir)
    faq_dir: Path = CONTENT / "faq"
    nlu_data_dir: Path = REPOSITORY / "nlu" / "data"
    locales_dir: Path = CONTENT / "locales"
    schedule_file: Path = REPOSITORY / "handover" / "schedule.yml"
    staff_chat_id: int | None = None
    staff_ids: Annotated[dict[int, str], NoDecode] = Field(default_factory=dict)
    """STAFF_IDS=111:Sam,222:Lou — the only accounts that can act in the staff group, with the alias the topics show."""
    staff_language: Language = DEFAULT
    pseudonym_secret: SecretStr | None = None
    retention_days: int = Field(default=30, ge=1, le=3650)
    unanswered_days: int = Field(default=30, ge=1, le=365)
    """How long the questions the bot could not answer (scrubbed) are kept for the FAQ editors."""
    report_small_cell: int = Field(default=5, ge=1, le=100)
    """A report shows a count of people under this as "<5": a small number can point to someone."""
    report_categories_file: Path = REPOSITORY / "bot" / "reports" / "categories.yml"
    """The team's mapping of intents to the report's topics."""
    telegram_bot_username: str | None = None
    """The bot's @username without the @, for campaign links (t.me/<username>?start=...)."""
    whatsapp_number: str | None = None
    """The bot's WhatsApp number in international form without + (32470123456), for campaign links (wa.me/...)."""
    faq_reload_seconds: float = Field(default=1.0, ge=0)
    """How often the running bot looks for FAQ edits; 0 turns live reloading off."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    whatsapp_verify_token: SecretStr | None = None
    """Any string you choose, given to Meta with the webhook URL: Meta sends it back to check the URL is ours."""
    whatsapp_app_secret: SecretStr | None = None
    """The Meta app's secret: Meta signs every webhook call with it (X-Hub-Signature-256)."""
    whatsapp_access_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_api_base_url: AnyHttpUrl = AnyHttpUrl("https://graph.facebook.com")
    whatsapp_api_version: str = "v21.0"
    whatsapp_template_name: str | None = None
    """The approved template that tells a person an answer waits for them (WhatsApp's 24-hour window)."""
    whatsapp_template_languages: Annotated[dict[str, str], NoDecode] = Field(default=DEFAULT_TEMPLATE_LANGUAGES, validate_default=True)
    """WHATSAPP_TEMPLATE_LANGUAGES=fr:fr,es:es,ar:ar,en:en_US — the template's language code for each language of the bot."""
    bridge_secret: SecretStr | None = None
    """Shared with a bridge (docs/bridge.md): it signs every call, both ways."""
    bridge_send_url: AnyHttpUrl | None = None
    """Where the bot posts its replies for the bridge to deliver."""
    waha_url: AnyHttpUrl | None = None
    """WAHA's address as the bot reaches it (e.g. http://waha:3000): set, the WAHA channel runs and WAHA posts to /webhooks/waha."""
    waha_api_key: SecretStr | None = None
    """The key WAHA requires in X-Api-Key (WAHA's own WAHA_API_KEY, in plain)."""
    waha_session: str = "default"
    """The WAHA session (the WhatsApp number) the bot answers for; other sessions' events are left."""
    waha_hmac_key: SecretStr | None = None
    """WAHA's WHATSAPP_HOOK_HMAC_KEY: set, every webhook call must carry its HMAC; unset, anyone who can reach the bot can post."""

    @property
    def sent_journal_path(self) -> Path | None:
        """None for a SQLite database in memory: a kill loses it, replies and all."""
        if self.sent_journal is not None:
            return self.sent_journal
        if not self.database_url.startswith("sqlite"):
            return Path("outreach-bot-sent")
        database = make_url(self.database_url).database
        return Path(f"{database}-sent") if database and database != ":memory:" else None

    @property
    def content_folders(self) -> list[Path]:
        """What the team edits and the bot validates together: the FAQ, then the NLU's training data."""
        return [self.faq_dir, self.nlu_data_dir]

    @property
    def last_good_path(self) -> Path:
        """Where the last FAQ that passed validation is kept (bot/faq/last_good.py): beside the SQLite file, or in the working folder."""
        if self.last_good_dir is not None:
            return self.last_good_dir
        database = make_url(self.database_url).database if self.database_url.startswith("sqlite") else None
        return Path(f"{database}-last-good-faq") if database and database != ":memory:" else Path("outreach-bot-last-good-faq")

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None and bool(self.telegram_bot_token.get_secret_value().strip())

    @property
    def whatsapp_enabled(self) -> bool:
        return self.whatsapp_phone_number_id is not None

    @property
    def bridge_enabled(self) -> bool:
        return self.bridge_secret is not None and self.bridge_send_url is not None

    @property
    def waha_enabled(self) -> bool:
        return self.waha_url is not None

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

    @field_validator("webhook_url", "webhook_secret", "waha_url", "waha_api_key", "waha_hmac_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`WEBHOOK_URL=` in a .env or a compose file means "no webhook", not a broken URL."""
        return None if value == "" else value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        """Telegram sends the secret back with every webhook call: without it, anyone could post fake updates."""
        if value is None:
            if info.data.get("webhook_url") is not None:
                raise ValueError("it is missing, and webhook mode (WEBHOOK_URL is set) needs it")
            return None
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()):
            raise ValueError("must be 16 to 256 characters among letters, digits, _ and -")
        return value

    @field_validator(*WHATSAPP_REQUIRED, "bridge_secret", "bridge_send_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`WHATSAPP_ACCESS_TOKEN=` or `BRIDGE_SEND_URL=` in a compose file means "not set", not an empty value."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("whatsapp_phone_number_id")
    @classmethod
    def _phone_number_id(cls, value: str | None) -> str | None:
        """Meta's id of the number (WhatsApp Manager › API Setup), not the phone number itself."""
        if value is not None and not value.isdigit():
            raise ValueError("must be the number's id from Meta's API Setup page: digits only")
        return value

    @field_validator("whatsapp_api_version")
    @classmethod
    def _graph_version(cls, value: str) -> str:
        if not re.fullmatch(r"v\d+\.\d+", value):
            raise ValueError("must be a Graph API version such as v21.0")
        return value

    @field_validator("whatsapp_template_name")
    @classmethod
    def _template_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z0-9_]{1,512}", value):
            raise ValueError("must be the template's name as in WhatsApp Manager: lowercase letters, digits and _")
        return value

    @field_validator("whatsapp_template_languages", mode="before")
    @classmethod
    def _template_languages(cls, value: object) -> object:
        """Every language the bot speaks needs the template in that language."""
        if not isinstance(value, str):
            return value
        codes = dict(pair.strip().partition(":")[::2] for pair in value.split(",") if pair.strip())
        for lang, code in codes.items():
            if lang not in SPOKEN or not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", code.strip()):
                raise ValueError(f"'{lang}:{code}' is not language:template_code (e.g. {DEFAULT_TEMPLATE_LANGUAGES})")
        missing = [lang for lang in SPOKEN if lang not in codes]
        if missing:
            raise ValueError(f"the template's language code for {', '.join(missing)} is missing (e.g. {DEFAULT_TEMPLATE_LANGUAGES})")
        return {lang: code.strip() for lang, code in codes.items()}

    @field_validator("waha_session")
    @classmethod
    def _waha_session(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
            raise ValueError("must be the session's name in WAHA (letters, digits, _ and -), e.g. default")
        return value

    @model_validator(mode="after")
    def _waha_key(self) -> "Settings":
        """WAHA's API must not be open to whoever reaches it (WAHA's security guide): the bot sends its key."""
        if self.waha_url is not None and self.waha_api_key is None:
            raise ValueError("The WAHA settings are incomplete: WAHA_URL is set, set WAHA_API_KEY too (WAHA's own WAHA_API_KEY, in plain)")
        return self

    @model_validator(mode="after")
    def _whatsapp_complete(self) -> "Settings":
        """Half a WhatsApp configuration would fail only when the first message arrives: say so at start."""
        missing = [name.upper() for name in WHATSAPP_REQUIRED if getattr(self, name) is None]
        if missing and len(missing) < len(WHATSAPP_REQUIRED):
            names = ", ".join(missing[:-1]) + " and " + missing[-1] if len(missing) > 1 else missing[0]
            raise ValueError(f"The WhatsApp settings are incomplete: set {names} too, or none of the WhatsApp settings")
        return self

    @field_validator("bridge_secret")
    @classmethod
    def _bridge_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """Whoever holds it can write to the bot in anyone's name and read nothing back: too short, it can be guessed."""
        if value is not None and len(value.get_secret_value()) < BRIDGE_SECRET_LENGTH:
            raise ValueError(
                f"must be at least {BRIDGE_SECRET_LENGTH} characters, since anyone who guesses it can write to the bot in a person's name "
                "(make one with: openssl rand -hex 32)"
            )
        return value

    @model_validator(mode="after")
    def _bridge_complete(self) -> "Settings":
        """The bridge needs both: the secret to check what comes in, the address to send the replies to."""
        if (self.bridge_secret is None) != (self.bridge_send_url is None):
            missing = "BRIDGE_SEND_URL" if self.bridge_send_url is None else "BRIDGE_SECRET"
            raise ValueError(f"The bridge settings are incomplete: set {missing} too, or neither BRIDGE_SECRET nor BRIDGE_SEND_URL")
        return self

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

    @field_validator("staff_ids", mode="before")
    @classmethod
    def _staff_pairs(cls, value: object) -> object:
        return parse_staff_ids(value) if isinstance(value, str) else value

    @field_validator("pseudonym_secret", "rasa_token", "waha_hmac_key")
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
        reason = first["msg"].removeprefix("Value error, ")
        if not first["loc"]:  # a rule between settings: its sentence names them
            raise SettingsError(f"{reason}.") from None
        raise SettingsError(f"The setting {str(first['loc'][0]).upper()} is wrong: {reason}.") from None


def require_rasa_token(settings: Settings) -> str:
    if settings.rasa_token is None:
        raise SettingsError("The setting RASA_TOKEN is missing: choose a secret of 16 or more characters for the Rasa server.")
    return settings.rasa_token.get_secret_value()


def require_telegram_token(settings: Settings) -> str:
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value().strip():
        raise SettingsError("The setting TELEGRAM_BOT_TOKEN is missing: ask @BotFather for a token and set it.")
    return settings.telegram_bot_token.get_secret_value()
