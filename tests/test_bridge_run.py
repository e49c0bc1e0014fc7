"""`outreach-bot run` with BRIDGE_SECRET and BRIDGE_SEND_URL, against a loopback bridge the tests start.

The bot runs as a process of its own, as in production; what it holds is read from its SQLite
file: the outbox ids it ever gave (`sqlite_sequence`), so that "no reply lost, none sent twice"
is a comparison of ids, not a wait for silence.
"""

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from fakes.bridge import SECRET, FakeBridge, Received
from fakes.running import BotProcess, bot_process
from fakes.telegram_api import FakeBotApi
from nlu.rasa_server import free_port

QUESTIONS = {
    "fr": "bonjour, c'est quoi la prep ?",
    "es": "Hola, ¿qué es la PrEP exactamente?",
    "ar": "السلام عليكم، شنو هي البريب بالضبط؟",
}
PEOPLE = {"fr": "+32470000101", "es": "+32470000102", "ar": "+32470000103"}


@asynccontextmanager
async def bridged_bot(bot_api: FakeBotApi, bridge: FakeBridge, workdir: Path) -> AsyncIterator[tuple[BotProcess, httpx.AsyncClient]]:
    """The bot with only the bridge channel, and a client to its web server."""
    port = free_port()
    environment = {"HTTP_PORT": str(port), "BRIDGE_SECRET": SECRET, "BRIDGE_SEND_URL": bridge.send_url}
    async with bot_process(bot_api, workdir, telegram=False, **environment) as running, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        yield running, client


def database(workdir: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{workdir / 'bot.sqlite3'}?mode=ro", uri=True)


def outbox_ids_given(workdir: Path) -> set[str]:
    """Every reply id the bot ever made, as the bridge sees them ("out-" and the outbox row)."""
    with database(workdir) as connection:
        row = connection.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    return {f"out-{number}" for number in range(1, (row[0] if row else 0) + 1)}


def inbox_rows(workdir: Path, delivery_id: str) -> int:
    with database(workdir) as connection:
        return int(connection.execute("SELECT count(*) FROM inbox WHERE channel = 'bridge' AND delivery_id = ?", (delivery_id,)).fetchone()[0])


async def all_answered(bridge: FakeBridge, workdir: Path, people: list[str], timeout: float = 30) -> list[Received]:
    """Until each person has replies and every reply the bot made has reached the bridge."""
    for person in people:
        await bridge.wait_replies(person, 1, timeout)
    while True:
        seen = len(bridge.received)
        if {reply.id for reply in bridge.received} == outbox_ids_given(workdir):
            return bridge.received
        await bridge.wait_received(seen + 1, timeout)


async def test_a_signed_message_is_answered_on_the_send_endpoint_in_the_persons_language(bot_api, bridge, tmp_path, faq):
    async with bridged_bot(bot_api, bridge, tmp_path) as (running, client):
        accepted = [await bridge.post(client, bridge.signed(bridge.message(PEOPLE[lang], question))) for lang, question in QUESTIONS.items()]
        for person in PEOPLE.values():
            await bridge.wait_replies(person, 1)

    assert running.returncode == 0, running.logs
    assert [response.json() for response in accepted] == [{"status": "accepted"}] * 3
    for lang, person in PEOPLE.items():
        assert bridge.texts(person)[0].startswith(faq.answer("prep.info", lang)[:40]), lang
    assert bridge.unsigned == 0


async def test_forged_stale_and_replayed_calls_are_refused_and_the_log_holds_no_text_or_sender(bot_api, bridge, tmp_path):
    person, text = "+32470000999", "je dors dans la rue depuis hier, c'est quoi la prep"
    message = bridge.message(person, text)
    genuine = bridge.signed(message)
    async with bridged_bot(bot_api, bridge, tmp_path) as (running, client):
        forged = await bridge.post(client, bridge.signed(message, secret="a-guess-at-the-secret-of-32-characters"))
        stale = await bridge.post(client, bridge.signed(message, at=int(genuine.headers["X-Bridge-Timestamp"]) - 600))
        accepted = await bridge.post(client, genuine)
        replayed = await bridge.post(client, genuine)
        await all_answered(bridge, tmp_path, [person])

    assert [forged.status_code, stale.status_code] == [401, 401]
    assert (accepted.json(), replayed.json()) == ({"status": "accepted"}, {"status": "duplicate"})
    assert inbox_rows(tmp_path, message["id"]) == 1
    assert len({reply.id for reply in bridge.received}) == len(bridge.received)
    logs = running.logs
    assert "wrong or missing signature" in logs and "stale timestamp" in logs
    for private in (text, person, SECRET, bridge.texts(person)[0][:40]):
        assert private not in logs


async def test_a_bridge_away_for_a_minute_loses_no_reply_and_gets_none_twice(bot_api, bridge, tmp_path):
    """The outbox's waits grow (5 s, 10 s, 20 s, 40 s): the replies arrive some 75 s after they were made."""
    async with bridged_bot(bot_api, bridge, tmp_path) as (running, client):
        bridge.away_for(60, retry_after="1")
        for lang, question in QUESTIONS.items():
            await bridge.post(client, bridge.signed(bridge.message(PEOPLE[lang], question)))
        received = await all_answered(bridge, tmp_path, list(PEOPLE.values()), timeout=120)

    assert running.returncode == 0, running.logs
    assert bridge.turned_away > 0
    ids = [reply.id for reply in received]
    assert len(ids) == len(set(ids)) and set(ids) == outbox_ids_given(tmp_path)


async def test_a_message_delivered_again_after_a_restart_is_handled_once(bot_api, bridge, tmp_path):
    person, other = PEOPLE["fr"], PEOPLE["es"]
    message = bridge.message(person, QUESTIONS["fr"], message_id="bridge-4711")
    async with bridged_bot(bot_api, bridge, tmp_path) as (_running, client):
        first = await bridge.post(client, bridge.signed(message))
        await all_answered(bridge, tmp_path, [person])
    answered = len(bridge.replies_to(person))

    async with bridged_bot(bot_api, bridge, tmp_path) as (running, client):
        again = await bridge.post(client, bridge.signed(message))
        await bridge.post(client, bridge.signed(bridge.message(other, QUESTIONS["es"])))
        await all_answered(bridge, tmp_path, [other])

    assert running.returncode == 0, running.logs
    assert (first.json(), again.json()) == ({"status": "accepted"}, {"status": "duplicate"})
    assert len(bridge.replies_to(person)) == answered
    assert inbox_rows(tmp_path, "bridge-4711") == 1
