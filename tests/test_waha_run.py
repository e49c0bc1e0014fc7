"""`outreach-bot run` with the WAHA settings, against a WAHA of the tests' own (tests/fakes/waha.py).

One bot process serves the module (a start trains the NLU: some twenty seconds); each test plays
its own people, so that what one sends does not meet another's. The handover with the Telegram
staff group runs a bot of its own, with Telegram and a staff group.
"""

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from test_telegram_handover import SAM, STAFF_CHAT, in_topic, posts, thread_of, wait_for

from bot.faq.model import Faq
from fakes.running import BotProcess, bot_process
from fakes.telegram_api import FakeBotApi
from fakes.waha import API_KEY, HMAC_KEY, PHOTO, VOICE, FakeWaha, WahaPerson
from nlu.rasa_server import free_port

pytestmark = pytest.mark.asyncio(loop_scope="module")

READS_VOICE = "I can only read text: write your question, or ask for a person."
READS_TEXT = "I can only read text messages. Write your question in a few words, or choose a topic."
QUESTIONS = {"fr": "c koi la prep exactement svp", "es": "que es la prep por favor", "ar": "شنو هي البريب"}
PEOPLE = {"fr": WahaPerson("32470000101", "Amina Private"), "es": WahaPerson("34600000102", "Lucía Private"), "ar": WahaPerson("212600000103", "Salma Private")}
NUMBERED_LINE = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)


def waha_environment(waha: FakeWaha, port: int) -> dict[str, str]:
    return {"HTTP_PORT": str(port), "WAHA_URL": waha.url, "WAHA_API_KEY": API_KEY, "WAHA_HMAC_KEY": HMAC_KEY}


class Bot:
    """The running bot as WAHA and the test see it: its webhook, its logs, what WAHA sent for it."""

    def __init__(self, process: BotProcess, waha: FakeWaha, client: httpx.AsyncClient):
        self.process, self.waha, self.client = process, waha, client

    async def post(self, event: dict, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.waha.post(self.client, event, headers)

    async def answered(self, person: WahaPerson, starting: str, timeout: float = 30) -> None:
        """Until a text to `person` starts with `starting`."""
        await wait_for(lambda: any(text.startswith(starting) for text in self.waha.texts(person)), timeout)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(tmp_path_factory) -> AsyncIterator[Bot]:
    port = free_port()
    workdir, client = tmp_path_factory.mktemp("waha"), httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}")
    async with FakeBotApi() as bot_api, FakeWaha() as waha, bot_process(bot_api, workdir, telegram=False, **waha_environment(waha, port)) as process, client:
        yield Bot(process, waha, client)


@pytest.mark.parametrize("lang", ["fr", "es", "ar"])
async def test_a_signed_message_is_answered_through_sendtext_in_the_persons_language(bot, faq: Faq, lang):
    person = PEOPLE[lang]
    response = await bot.post(bot.waha.message(person, QUESTIONS[lang]))
    await bot.answered(person, faq.answer("prep.info", lang))
    assert response.status_code == 200
    assert all(call["session"] == "default" for call in bot.waha.calls)


async def test_forged_and_unsigned_calls_are_refused_and_logged_without_their_content(bot):
    person = WahaPerson("32470000201", "Forged Private")
    event = bot.waha.message(person, "texte contrefait 7319")
    forged = await bot.post(event, headers=bot.waha.sign(b"another body"))
    unsigned = await bot.post(event, headers={})
    await asyncio.sleep(1)

    assert forged.status_code == unsigned.status_code == 401
    assert bot.waha.texts(person) == []
    logs = bot.process.logs
    assert logs.count("A WAHA webhook call with a wrong or missing signature was refused.") >= 2
    for private in (person.number, person.push_name, "texte contrefait 7319", HMAC_KEY, API_KEY):
        assert private not in logs


async def test_the_bots_own_messages_groups_status_updates_and_other_events_are_taken_and_left(bot):
    """The person then says "merci" as someone who never wrote before does, and is answered as that someone is."""
    person, control = WahaPerson("32470000301", "Left Private"), WahaPerson("32470000302", "Control Private")
    left = [
        bot.waha.from_me(person, "bonjour"),
        bot.waha.in_group(person, "bonjour"),
        bot.waha.status_update(person, "bonjour"),
        bot.waha.event("message.ack", {"id": "true_32470000301@c.us_AAAA", "from": person.chat_id, "ack": 3}),
        bot.waha.event("session.status", {"status": "WORKING"}),
    ]
    responses = [await bot.post(event) for event in left]
    for writer in (person, control):
        await bot.post(bot.waha.message(writer, "merci"))
    await wait_for(lambda: bot.waha.texts(person) != [] and bot.waha.texts(control) != [], 30)
    await asyncio.sleep(1)

    assert {response.status_code for response in responses} == {200}
    assert {call["chatId"] for call in bot.waha.calls} & {"120363000000000000@g.us", "status@broadcast", "32220000000@c.us"} == set()
    assert bot.waha.texts(person) == bot.waha.texts(control)


async def test_a_message_waha_delivers_twice_is_answered_once(bot, faq: Faq):
    person = WahaPerson("32470000401", "Twice Private")
    event = bot.waha.message(person, QUESTIONS["fr"])
    first, again = await bot.post(event), await bot.post(event)
    await bot.post(bot.waha.message(person, "quels sont vos horaires ?"))  # one person's messages are handled in order
    await wait_for(lambda: len(bot.waha.texts(person)) >= 2, 30)
    await asyncio.sleep(0.5)

    assert first.status_code == again.status_code == 200
    assert [text.startswith(faq.answer("prep.info", "fr")) for text in bot.waha.texts(person)].count(True) == 1


async def test_waha_down_for_a_while_loses_no_reply_and_sends_none_twice(bot, faq: Faq):
    """Each person gets, once and in order, what a person who wrote while WAHA was up got."""
    control, people = WahaPerson("32470000500", "Up Private"), [WahaPerson("32470000501", "Down Private"), WahaPerson("32470000502", "Down Private Two")]
    await bot.post(bot.waha.message(control, QUESTIONS["fr"]))
    await bot.answered(control, faq.answer("prep.info", "fr"))
    await asyncio.sleep(1)
    bot.waha.down_for(5)
    for person in people:
        assert (await bot.post(bot.waha.message(person, QUESTIONS["fr"]))).status_code == 200
    await wait_for(lambda: all(len(bot.waha.texts(person)) >= len(bot.waha.texts(control)) for person in people), 60)
    await asyncio.sleep(1)

    assert bot.waha.refused.count(503) >= 3
    for person in people:
        assert bot.waha.texts(person) == bot.waha.texts(control)


@pytest.mark.parametrize(("fields", "expected"), [(VOICE, READS_VOICE), (PHOTO, READS_TEXT)], ids=["voice note", "photo"])
async def test_a_voice_note_or_a_photo_gets_the_clear_reply_that_the_bot_reads_text(bot, catalogs, fields, expected):
    person = WahaPerson("32470000601" if fields is VOICE else "32470000602", "Media Private")
    await bot.post(bot.waha.message(person, **fields))
    await bot.answered(person, catalogs.translator("fr").gettext(expected))


async def test_a_number_written_back_picks_that_choice_of_the_numbered_list(bot, faq: Faq):
    person = WahaPerson("32470000701", "Number Private")
    await bot.post(bot.waha.message(person, QUESTIONS["fr"]))
    await bot.answered(person, faq.answer("prep.info", "fr"))
    titles = {faq.title(entry, "fr"): entry for entry in faq.entries}
    number, entry = next((number, titles[label]) for number, label in NUMBERED_LINE.findall("\n".join(bot.waha.texts(person))) if label in titles)

    await bot.post(bot.waha.message(person, number))
    await bot.answered(person, faq.answer(entry, "fr"))


ASKS_FOR_A_PERSON = {
    "fr": "je voudrais parler a une personne de l'equipe",
    "es": "quiero hablar con una persona del equipo por favor",
    "ar": "بغيت نهضر مع شي واحد من الفريق",
}


@asynccontextmanager
async def staffed_bot(tmp_path) -> AsyncIterator[tuple[FakeBotApi, FakeWaha, BotProcess, httpx.AsyncClient]]:
    """A bot with WAHA and the Telegram staff group, during a permanence that is open now."""
    port = free_port()
    brussels = datetime.now(ZoneInfo("Europe/Brussels"))
    start = max(brussels - timedelta(minutes=30), brussels.replace(hour=0, minute=0))
    schedule = tmp_path / "schedule.yml"
    schedule.write_text(f'timezone: Europe/Brussels\nweekly: []\nexceptions:\n  - {{date: {brussels:%Y-%m-%d}, start: "{start:%H:%M}", end: "23:59"}}\n')
    staff = {"STAFF_CHAT_ID": str(STAFF_CHAT), "STAFF_IDS": f"{SAM.id}:Sam", "SCHEDULE_FILE": str(schedule)}
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}")
    async with FakeBotApi() as bot_api, FakeWaha() as waha, bot_process(bot_api, tmp_path, **waha_environment(waha, port), **staff) as process, client:
        yield bot_api, waha, process, client


async def handed_over(bot_api: FakeBotApi, waha: FakeWaha, client: httpx.AsyncClient, person: WahaPerson, lang: str) -> int:
    """The person asks for a person in `lang`; the topic the staff group got for them."""
    await waha.post(client, waha.message(person, ASKS_FOR_A_PERSON[lang]))
    await wait_for(lambda: bool(bot_api.created_topics) and posts(bot_api, thread_of(bot_api)) != [], 30)
    return thread_of(bot_api)


async def test_a_waha_person_who_asks_for_a_person_is_answered_by_staff_from_the_telegram_group(tmp_path):
    person = WahaPerson("32470000801", "Handover Private")
    async with staffed_bot(tmp_path) as (bot_api, waha, process, client):
        thread = await handed_over(bot_api, waha, client, person, "fr")
        since = waha.mark()
        in_topic(bot_api, SAM, "Bonjour, ici Sam de l'équipe. Je vous écoute.", thread)
        await wait_for(lambda: waha.texts(person, since) != [], 30)

    [relayed] = waha.texts(person, since)
    assert "Je vous écoute." in relayed
    staff_side = " ".join([*bot_api.texts(STAFF_CHAT), *(call.params["name"] for call in bot_api.calls_to("createForumTopic"))])
    for private in (person.number, person.push_name):
        assert private not in process.logs and private not in staff_side


@pytest.mark.parametrize("lang", ["es", "ar"])
async def test_staff_answer_a_waha_person_with_a_snippet_in_their_language(tmp_path, faq: Faq, lang):
    person = WahaPerson("34600000802", "Snippet Private")
    async with staffed_bot(tmp_path) as (bot_api, waha, _process, client):
        thread = await handed_over(bot_api, waha, client, person, lang)
        since = waha.mark()
        in_topic(bot_api, SAM, "/snippet prep-cost", thread)
        await wait_for(lambda: waha.texts(person, since) != [], 30)

    assert waha.texts(person, since) == [faq.text(faq.snippets["prep-cost"].text, lang)]
