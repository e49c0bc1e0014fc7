"""The handover end to end on Telegram: a person, the staff group with topics, the real PTB application.

The clock is not faked here: the engine's schedule is set to a permanence that is open, or
closed, around the moment the test runs.
"""

import asyncio
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fakes.running import bot_settings, running_bot
from fakes.telegram_api import BOT_USER, Person
from handover.schedule import load_schedule

STAFF_CHAT = -1001234567890
SAM = Person(501, first_name="Samira", username="sam_outreach")
LOU = Person(502, first_name="Louise")
INTRUDER = Person(666, first_name="Mallory", username="mallory")
AMINA = Person(1001, first_name="Amina", username="amina_bxl", language_code="fr")
LUCIA = Person(1002, first_name="Lucía", language_code="es")
KARIMA = Person(1003, first_name="Karima", language_code="ar")


def settings_for(bot_api, database_url):
    return bot_settings(bot_api, database_url, staff_chat_id=STAFF_CHAT, staff_ids={SAM.id: "Sam", LOU.id: "Lou"})


def staff_group() -> dict:
    return {"id": STAFF_CHAT, "type": "supergroup", "title": "Équipe", "is_forum": True}


def in_topic(bot_api, person: Person, text: str, thread: int, edited: bool = False, **content) -> None:
    bot_api.message(person, text, chat=staff_group(), edited=edited, message_thread_id=thread, is_topic_message=True, **content)


def replying_to(author: dict, thread: int, **content) -> dict:
    """`reply_to_message` as Telegram sets it on a message in a topic: the message it answers."""
    replied = {"message_id": 90_000 + thread, "date": int(time.time()), "chat": staff_group(), "from": author, **content}
    return {"reply_to_message": {**replied, "message_thread_id": thread, "is_topic_message": True}}


def posts(bot_api, thread: int | None = None) -> list[str]:
    return [params["text"] for params in bot_api.sent(STAFF_CHAT) if params.get("message_thread_id") == thread]


async def wait_for(predicate, timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


BRUSSELS = ZoneInfo("Europe/Brussels")


def use_schedule(app, tmp_path, exceptions: str) -> None:
    path = tmp_path / "schedule.yml"
    path.write_text(f"timezone: Europe/Brussels\nweekly: []\nexceptions:\n{exceptions}")
    app.engine.schedule = load_schedule(path)


def open_now(app, tmp_path) -> None:
    """A permanence going on now (from half an hour ago until the end of the day)."""
    now = datetime.now(BRUSSELS)
    start = max(now - timedelta(minutes=30), now.replace(hour=0, minute=0))
    use_schedule(app, tmp_path, f'  - {{date: {now:%Y-%m-%d}, start: "{start:%H:%M}", end: "23:59"}}\n')


def closed_until_tomorrow(app, tmp_path) -> datetime:
    start = (datetime.now(BRUSSELS) + timedelta(days=1)).replace(hour=14, minute=0, second=0, microsecond=0)
    use_schedule(app, tmp_path, f'  - {{date: {start:%Y-%m-%d}, start: "14:00", end: "18:00"}}\n')
    return start


def thread_of(bot_api) -> int:
    """The thread id the fake server gave the first topic (createForumTopic's answer)."""
    return bot_api.created_topics[0]


async def test_during_the_permanence_a_request_opens_a_topic_and_a_staff_reply_reaches_the_person_anonymously(bot_api, database_url, faq, nlu, tmp_path):
    async with running_bot(bot_api, settings_for(bot_api, database_url), (faq, nlu)) as app:
        open_now(app, tmp_path)
        bot_api.message(AMINA, "je voudrais parler a une personne de l'equipe svp")
        await wait_for(lambda: bot_api.calls_to("createForumTopic") and posts(bot_api, bot_api.created_topics[0]))
        thread = thread_of(bot_api)
        title = bot_api.calls_to("createForumTopic")[0].params["name"]
        assert " · fr · asked for a person" in title
        assert "Amina" not in title and "amina_bxl" not in title and str(AMINA.id) not in title
        assert "je voudrais parler" in posts(bot_api, thread)[0]
        assert "équipe va te répondre ici" in " ".join(bot_api.texts(AMINA.id))

        since = bot_api.mark()
        in_topic(bot_api, SAM, "Bonjour, ici l'équipe. Comment puis-je vous aider ?", thread)
        await wait_for(lambda: bot_api.texts(AMINA.id, since))
        sent = bot_api.sent(AMINA.id, since)[-1]
        assert "ici l" in sent["text"] and "Comment puis-je vous aider ?" in sent["text"]
        assert "forward_from" not in sent and "Sam" not in sent["text"] and "Samira" not in sent["text"]

        since = bot_api.mark()
        in_topic(bot_api, SAM, "/close", thread)
        await wait_for(lambda: bot_api.texts(AMINA.id, since))
        assert "clôturé" in bot_api.texts(AMINA.id, since)[-1]


async def test_outside_the_permanence_the_next_opening_is_given_and_the_queue_is_posted_when_it_opens(bot_api, database_url, faq, nlu, tmp_path):
    async with running_bot(bot_api, settings_for(bot_api, database_url), (faq, nlu)) as app:
        start = closed_until_tomorrow(app, tmp_path)
        bot_api.message(LUCIA, "quiero hablar con alguien del equipo por favor")
        await wait_for(lambda: bot_api.texts(LUCIA.id))
        assert f"a las {start:%H:%M}" in " ".join(bot_api.texts(LUCIA.id))

        from handover import jobs

        await jobs.announce_permanence(app.engine.desk, app.storage, app.engine.schedule, start + timedelta(minutes=1))
        await wait_for(lambda: any("quiero" not in text and "asked for a person" in text for text in posts(bot_api, None)))


async def test_a_crisis_gets_the_contacts_first_and_jumps_the_queue(bot_api, database_url, faq, nlu, tmp_path):
    async with running_bot(bot_api, settings_for(bot_api, database_url), (faq, nlu)) as app:
        open_now(app, tmp_path)
        bot_api.message(LUCIA, "quiero hablar con alguien del equipo")
        await wait_for(lambda: bot_api.texts(LUCIA.id))
        bot_api.message(AMINA, "au secours un client me frappe il est encore la")
        await wait_for(lambda: len(bot_api.texts(AMINA.id)) >= 2)
        assert bot_api.texts(AMINA.id)[0].startswith(faq.answer("crisis.violence", "fr").splitlines()[0])
        assert "Tu es la prochaine personne" in " ".join(bot_api.texts(AMINA.id))


async def test_a_restart_between_the_message_and_the_staff_reply_loses_nothing(bot_api, database_url, faq, nlu, tmp_path):
    settings = settings_for(bot_api, database_url)
    async with running_bot(bot_api, settings, (faq, nlu)):
        bot_api.message(AMINA, "je voudrais parler a une personne")
        await wait_for(lambda: bot_api.created_topics)
    thread = thread_of(bot_api)
    since = bot_api.mark()
    in_topic(bot_api, SAM, "Je suis là, pardon pour l'attente.", thread)  # written while the bot is stopped
    async with running_bot(bot_api, settings, (faq, nlu)):
        await wait_for(lambda: bot_api.texts(AMINA.id, since))
    assert "pardon pour l" in bot_api.texts(AMINA.id, since)[-1]


async def test_someone_not_on_the_staff_list_can_neither_claim_close_nor_read(bot_api, database_url, faq, nlu, tmp_path):
    async with running_bot(bot_api, settings_for(bot_api, database_url), (faq, nlu)) as app:
        open_now(app, tmp_path)
        bot_api.message(AMINA, "je voudrais parler a une personne")
        await wait_for(lambda: bot_api.created_topics and posts(bot_api, bot_api.created_topics[0]))
        await bot_api.settle()  # Amina's own replies too: they may come after the topic's post
        thread = thread_of(bot_api)
        since = bot_api.mark()
        for text in ("/claim", "/close", "/faq prep.info", "/queue", "coucou c'est moi"):
            in_topic(bot_api, INTRUDER, text, thread)
        bot_api.message(INTRUDER, "/queue", chat=staff_group())
        await bot_api.settle()
        assert bot_api.sent(AMINA.id, since) == [] and bot_api.sent(STAFF_CHAT, since) == []
        async with app.storage.unit() as repo:
            assert (await repo.handover.in_thread(thread)).status == "waiting"


async def test_in_a_topic_a_message_for_the_team_never_reaches_the_person(bot_api, database_url, faq, nlu, tmp_path):
    """What Telegram sends: any message in a topic answers the topic's first message unless it replies to another."""
    async with running_bot(bot_api, settings_for(bot_api, database_url), (faq, nlu)) as app:
        open_now(app, tmp_path)
        bot_api.message(AMINA, "je voudrais parler a une personne de l'equipe svp")
        await wait_for(lambda: bot_api.created_topics and posts(bot_api, bot_api.created_topics[0]))
        await bot_api.settle()
        thread = thread_of(bot_api)
        since = bot_api.mark()
        topic_start = replying_to(BOT_USER, thread, forum_topic_created={"name": "topic", "icon_color": 7322096})
        in_topic(bot_api, SAM, "Bonjour, ici l'équipe.", thread, **topic_start)
        in_topic(bot_api, LOU, "! je la connais, je peux prendre la suite", thread, **topic_start)
        in_topic(bot_api, SAM, "ok, je te la passe après", thread, **replying_to(LOU.user(), thread, text="! je la connais"))
        in_topic(bot_api, LOU, "Dis-moi ce dont tu as besoin.", thread, **replying_to(BOT_USER, thread, text="Personne : bonjour"))
        await bot_api.settle()
        assert sorted(bot_api.texts(AMINA.id, since)) == ["Bonjour, ici l'équipe.", "Dis-moi ce dont tu as besoin."]
        assert len([text for text in posts(bot_api, thread)[1:] if "jamais envoyée à la personne" in text]) == 2


async def test_id_in_the_staff_group_gives_staff_the_ids_the_settings_need(bot_api, database_url, faq, nlu):
    async with running_bot(bot_api, settings_for(bot_api, database_url), (faq, nlu)):
        bot_api.message(SAM, "/id", chat=staff_group())
        await wait_for(lambda: posts(bot_api, None))
        assert f"{STAFF_CHAT}" in posts(bot_api, None)[-1] and f"{SAM.id}:Sam" in posts(bot_api, None)[-1]


async def test_before_staff_chat_id_is_set_a_group_the_bot_is_in_is_named_once_in_the_log(bot_api, database_url, faq, nlu, caplog):
    group = {"id": -1009876543210, "type": "supergroup", "title": "Équipe", "is_forum": True}
    with caplog.at_level("INFO", logger="bot.channels.telegram.handlers"):
        async with running_bot(bot_api, bot_settings(bot_api, database_url), (faq, nlu)):
            bot_api.message(SAM, "/id", chat=group)
            bot_api.message(SAM, "/id", chat=group)
            await bot_api.settle()
    named = [record.getMessage() for record in caplog.records if "was ignored" in record.getMessage()]
    assert named == ["A message from the group -1009876543210 was ignored: set STAFF_CHAT_ID=-1009876543210 if it is the staff group."]
    assert str(SAM.id) not in caplog.text and bot_api.sent(group["id"]) == []


ASKING = {
    "es": (LUCIA, "quiero hablar con una persona del equipo por favor"),
    "ar": (KARIMA, "بغيت نهضر مع شي واحد من الفريق"),
}


async def waiting_in_a_topic(bot_api, app, tmp_path, lang: str) -> tuple[Person, int]:
    """A person asking for the team in `lang` during the permanence, and their topic once the bot has posted in it."""
    open_now(app, tmp_path)
    person, text = ASKING[lang]
    bot_api.message(person, text)
    await wait_for(lambda: bot_api.created_topics and posts(bot_api, bot_api.created_topics[0]))
    await bot_api.settle()
    return person, thread_of(bot_api)


@pytest.mark.parametrize("lang", ASKING)
async def test_snippet_in_a_topic_sends_the_saved_reply_in_the_persons_language(bot_api, database_url, faq, nlu, tmp_path, lang):
    async with running_bot(bot_api, settings_for(bot_api, database_url), (faq, nlu)) as app:
        person, thread = await waiting_in_a_topic(bot_api, app, tmp_path, lang)
        since = bot_api.mark()
        in_topic(bot_api, SAM, "/snippet prep-cost", thread)
        await wait_for(lambda: bot_api.texts(person.id, since) and len(posts(bot_api, thread)) >= 3)
        assert bot_api.texts(person.id, since) == [faq.text(faq.snippets["prep-cost"].text, lang)]
        assert posts(bot_api, thread)[-1] == app.staff_t.gettext("Snippet {name} sent ({lang}).", name="prep-cost", lang=lang)


async def test_a_mistyped_snippet_reaches_no_one_and_the_topic_lists_the_names(bot_api, database_url, faq, nlu, tmp_path):
    async with running_bot(bot_api, settings_for(bot_api, database_url), (faq, nlu)) as app:
        person, thread = await waiting_in_a_topic(bot_api, app, tmp_path, "es")
        since = bot_api.mark()
        in_topic(bot_api, SAM, "/snippet prep-cots", thread)
        await wait_for(lambda: bot_api.sent(STAFF_CHAT, since))
        await bot_api.settle()
        assert bot_api.sent(person.id, since) == []
        assert app.staff_t.gettext("Did you mean {name}?", name="prep-cost") in posts(bot_api, thread)[-1]
