"""Shared fixtures: the repository's FAQ and NLU (trained once per run), and a fresh database per test.

Tests marked with the `database_url` fixture run on SQLite and, when TEST_POSTGRES_URL is set
(as .ci/run does), on PostgreSQL too.
"""

import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.engine import Engine
from bot.engine.knowledge import Knowledge
from bot.faq.loader import load_faq
from bot.faq.model import Faq
from bot.i18n import Catalogs
from bot.messages import InboundMessage, Reply
from bot.settings import REPOSITORY
from bot.storage import Storage, connect, upgrade
from fakes.bridge import FakeBridge
from fakes.graph_api import FakeGraphApi
from fakes.telegram_api import FakeBotApi
from fakes.waha import FakeWaha
from handover.schedule import Schedule, load_schedule
from nlu.embedded import EmbeddedNLU
from nlu.fitting import fit

NOW = datetime(2026, 12, 1, 20, 30, tzinfo=UTC)
SCHEDULE = 'timezone: Europe/Brussels\nweekly:\n  - {day: tuesday, start: "14:00", end: "18:00"}\n'
"""The permanence of the engine tests: Tuesdays, 14:00 to 18:00."""


@pytest.fixture(scope="session")
def faq() -> Faq:
    loaded, _warnings = load_faq(REPOSITORY / "faq", REPOSITORY / "nlu" / "data")
    return loaded


@pytest.fixture(scope="session")
def nlu(faq: Faq) -> EmbeddedNLU:
    return EmbeddedNLU(fit(faq.examples()), faq.crisis_lexicon)


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return Catalogs(REPOSITORY / "locales")


def _backends() -> list:
    backends = ["sqlite"]
    if os.environ.get("TEST_POSTGRES_URL"):
        backends.append("postgresql")
    elif os.environ.get("CI"):
        backends.append(pytest.param("postgresql", marks=pytest.mark.skip(reason="CI must set TEST_POSTGRES_URL")))
    return backends


@pytest.fixture(params=_backends())
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
        return
    admin_url = os.environ["TEST_POSTGRES_URL"]
    name = f"test_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotApi]:
    """A Telegram Bot API server of the tests' own on 127.0.0.1 (tests/fakes/telegram_api.py)."""
    async with FakeBotApi() as api:
        yield api


@pytest.fixture
async def graph_api() -> AsyncIterator[FakeGraphApi]:
    """Meta's WhatsApp Cloud API on 127.0.0.1 (tests/fakes/graph_api.py)."""
    async with FakeGraphApi() as api:
        yield api


@pytest.fixture
async def bridge() -> AsyncIterator[FakeBridge]:
    """A bridge on 127.0.0.1 that takes the bot's signed replies (tests/fakes/bridge.py)."""
    async with FakeBridge() as fake:
        yield fake


@pytest.fixture
async def waha() -> AsyncIterator[FakeWaha]:
    """WAHA, the self-hosted WhatsApp HTTP API, on 127.0.0.1 (tests/fakes/waha.py)."""
    async with FakeWaha() as server:
        yield server


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    """A fresh, migrated SQLite database (engine behaviour does not depend on the database)."""
    store = Storage(connect(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"))
    await upgrade(store.engine)
    yield store
    await store.close()


@pytest.fixture
def schedule(tmp_path: Path) -> Schedule:
    path = tmp_path / "schedule.yml"
    path.write_text(SCHEDULE)
    return load_schedule(path)


@pytest.fixture
def engine(storage: Storage, faq: Faq, nlu: EmbeddedNLU, catalogs: Catalogs) -> Engine:
    return Engine(storage, Knowledge(faq, nlu), catalogs, pseudonym_key="test-key-test-key", clock=lambda: NOW)


Send = Callable[..., "Replies"]


class Replies(list[Reply]):
    @property
    def texts(self) -> list[str]:
        return [r.text for r in self]

    @property
    def payloads(self) -> list[str]:
        return [q.payload for r in self for q in r.quick_replies]


@pytest.fixture
def send(engine: Engine):
    """send("text") or send(payload="faq:prep.info") or send(kind="sticker"), as one person."""

    async def _send(text: str = "", *, payload: str | None = None, kind: str | None = None, person: str = "123456789") -> Replies:
        kind = kind or ("button" if payload else "text")
        message = InboundMessage("telegram", person, person, kind=kind, text=text, payload=payload)  # type: ignore[arg-type]
        return Replies(await engine.handle(message))

    return _send
