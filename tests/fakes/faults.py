"""Fault injection against the real `outreach-bot run`: a burst of messages, the process killed with SIGKILL
in the middle of it and started again, or its PostgreSQL server restarted, and what each person got back
compared with a run without faults.

Used by tests/test_faults.py (marked `faults`) and benchmarks/faults.py (which prints the figures).
The bot runs in a process of its own, against the fake Bot API server of the tests, by long
polling or behind its webhook (then this module plays Telegram's side: it posts each update until
the bot answers 200, as Telegram does, and drops it only then).
"""

import asyncio
import os
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from fakes.postgres import LocalServer
from fakes.telegram_api import FakeBotApi, Person
from nlu.rasa_server import free_port

TEXTS = ("c koi la prep", "où êtes-vous ?", "je veux faire un test", "quels sont vos horaires", "merci")
"""What each person writes, in this order: questions with an FAQ answer, then thanks."""
POISON_TEXT = "appelle-moi au 0470 12 34 56, c'est Person0"
APOLOGY = "Pardon, quelque chose n'a pas marché"
"""The start of the bot's apology (French) when a message could not be handled."""
SECRET = "a-webhook-secret-of-32-characters"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Run:
    replies: dict[int, list[str]]
    """What each person read, in order."""
    logs: str
    kills: int = 0
    webhook_refusals: int = 0


@dataclass
class Comparison:
    messages: int
    people: int
    expected_replies: int
    lost: int = 0
    """Replies a person should have had and did not get."""
    twice: int = 0
    """Replies a person got more often than without faults."""
    people_missing_one: int = 0
    out_of_order: int = 0
    """People who got all their replies, but not in the order of a run without faults."""
    apologies: int = 0
    details: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.messages} messages from {self.people} people, {self.expected_replies} replies expected: "
            f"{self.lost} lost, {self.twice} sent twice, {self.people_missing_one} people missing at least one, "
            f"{self.out_of_order} people answered out of order, {self.apologies} apologies"
        )


def compare(expected: Run, got: Run, messages: int) -> Comparison:
    """Per person, as multisets (lost, twice) and as sequences (order); the apologies for a poison update are counted apart."""
    result = Comparison(messages, len(expected.replies), sum(len(texts) for texts in expected.replies.values()))
    for person, texts in expected.replies.items():
        received = got.replies.get(person, [])
        result.apologies += sum(text.startswith(APOLOGY) for text in received)
        received = [text for text in received if not text.startswith(APOLOGY)]
        want, have = Counter(texts), Counter(received)
        missing, extra = want - have, have - want
        result.lost += sum(missing.values())
        result.twice += sum(extra.values())
        result.people_missing_one += bool(missing)
        if not missing and not extra and texts != received:
            result.out_of_order += 1
        if missing or extra:
            result.details.append(f"person {person}: {sum(missing.values())} missing, {sum(extra.values())} extra")
    return result



class BotRunner:
    """`outreach-bot run` in a process of its own, started, killed and started again on one database."""

    def __init__(self, api: FakeBotApi, workdir: Path, database_url: str | None = None, webhook: bool = False, **environment: str):
        self.api = api
        self.workdir = workdir
        self.webhook_port = free_port() if webhook else None
        self.env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE_URL": api.url,
            "DATABASE_URL": database_url or f"sqlite:///{workdir / 'bot.sqlite3'}",
            "LOG_LEVEL": "DEBUG",
            "FAQ_RELOAD_SECONDS": "0",
            "TELEGRAM_RATE_LIMIT": "0",
            **environment,
        }
        if webhook:
            self.env |= {"WEBHOOK_URL": "https://bot.example.org/webhooks/telegram", "WEBHOOK_SECRET": SECRET, "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(self.webhook_port)}
        self.log_file = workdir / "bot.log"
        self.process: asyncio.subprocess.Process | None = None
        self._starts = 0

    async def start(self) -> None:
        self._starts += 1
        since = self.api.mark()
        with self.log_file.open("a") as log:
            self.process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "run", env=self.env, cwd=self.workdir, stdout=log, stderr=log)
        deadline = time.monotonic() + 120
        while not (self.api.calls_to("getUpdates", since) or self.api.calls_to("setWebhook", since)):
            if self.process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bot did not start:\n{self.logs}")
            await asyncio.sleep(0.05)

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.process.wait(), 60)
        return self.process.returncode or 0

    @property
    def logs(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""


class TelegramSide:
    """Telegram's side of webhook mode: each update posted until the bot takes it with a 200."""

    def __init__(self, port: int):
        self.client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5)
        self.pending: list[dict] = []
        self.refusals = 0
        self._task: asyncio.Task | None = None

    def push(self, update: dict) -> None:
        self.pending.append(update)

    async def run(self) -> None:
        while True:
            if not self.pending:
                await asyncio.sleep(0.01)
                continue
            update = self.pending[0]
            try:
                response = await self.client.post("/webhooks/telegram", json=update, headers={SECRET_HEADER: SECRET})
                delivered = response.status_code == 200
            except httpx.HTTPError:
                delivered = False
            if delivered:
                self.pending.pop(0)
            else:
                self.refusals += 1
                await asyncio.sleep(0.05)

    async def delivered_all(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while self.pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.pending)} update(s) never taken")
            await asyncio.sleep(0.02)


async def burst(
    workdir: Path,
    people: int = 20,
    per_person: int = 5,
    kills: tuple[float, ...] = (),
    webhook: bool = False,
    database_url: str | None = None,
    seed: int = 1,
    poison: bool = False,
    rate_limit: int = 0,
    restarts: tuple[float, ...] = (),
    server: LocalServer | None = None,
    down_for: float = 0.5,
) -> Run:
    """`people` × `per_person` messages pushed at once; SIGKILL after each delay of `kills` (seconds from the burst), a restart after each.

    `poison`: first of all, an update the library cannot parse (from the first person, with a
    phone number and their name in it), as a Bot API of another version could send.
    `rate_limit`: TELEGRAM_RATE_LIMIT (0: lifted, so that a test is quick; 30 is Telegram's).
    `restarts`: moments (seconds from the burst) at which `server`, the PostgreSQL server of
    `database_url`, is stopped (fast shutdown: sessions cut) and started again `down_for` seconds later.
    """
    if restarts and server is None:
        raise ValueError("restarts need the server of database_url")
    workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    persons = [Person(500_000 + n, first_name=f"Person{n}", language_code="fr") for n in range(people)]
    async with FakeBotApi() as api:
        runner = BotRunner(api, workdir, database_url, webhook=webhook, TELEGRAM_RATE_LIMIT=str(rate_limit))
        await runner.start()
        side = TelegramSide(runner.webhook_port) if webhook else None
        delivering = asyncio.create_task(side.run()) if side else None
        try:
            if poison:
                unreadable = {"message": {"message_id": 1, "date": "yesterday", "chat": persons[0].chat(), "from": persons[0].user(), "text": POISON_TEXT}}
                update = {**unreadable, "update_id": api.new_message(persons[0], "")["update_id"]}
                side.push(update) if side is not None else api.push(update)
            order = [(person, index) for index in range(per_person) for person in persons]
            for person, index in order:
                update = api.new_message(person, TEXTS[index % len(TEXTS)])
                if side is not None:
                    side.push(update)
                else:
                    api.push(update)
            started = time.monotonic()
            for delay, fault in sorted([(delay, "kill") for delay in kills] + [(delay, "restart") for delay in restarts]):
                await asyncio.sleep(max(0.0, started + delay - time.monotonic()) + rng.uniform(0, 0.01))
                if fault == "kill":
                    await runner.kill()
                    await runner.start()
                else:
                    assert server is not None
                    await server.stop()
                    await asyncio.sleep(down_for)
                    await server.start()
            if side is not None:
                await side.delivered_all()
            await api.settle(quiet=1.5, timeout=120)
        finally:
            if delivering is not None:
                delivering.cancel()
            await runner.stop()
        replies = {person.id: api.texts(person.id) for person in persons}
    return Run(replies, runner.logs, len(kills), side.refusals if side else 0)
