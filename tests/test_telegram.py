"""The Telegram bot end to end: the real PTB application, built as `outreach-bot run` builds it, against a Bot API server on loopback.

Each test plays people writing, pressing buttons and sending stickers, and reads what the bot
sent back through the fake server, as the person's phone would have shown it.
"""

import asyncio

import pytest
from sqlalchemy import text

from bot.channels.telegram.handlers import TYPING_AFTER
from bot.engine.answers import OPEN_TOPICS
from bot.languages import SPOKEN
from fakes.running import all_handled, bot_settings, running_bot
from fakes.telegram_api import STICKER, VOICE, Person

AMINA = Person(1001, first_name="Amina", username="amina_bxl", language_code="fr")
LUCIA = Person(1002, first_name="Lucía", language_code="es")
SALMA = Person(1003, first_name="Salma", language_code="ar")


def answered_entry(faq, text: str, lang: str) -> str | None:
    """The FAQ entry whose answer in `lang` is exactly `text`."""
    return next((entry for entry in faq.entries if faq.answer(entry, lang) == text), None)


async def test_start_welcomes_with_a_language_picker_and_the_commands_are_published(bot_api, database_url, faq, nlu, catalogs):
    async with running_bot(bot_api, bot_settings(bot_api, database_url), (faq, nlu)):
        since = bot_api.mark()
        bot_api.message(AMINA, "/start")
        await bot_api.settle()

    texts = bot_api.texts(AMINA.id, since)
    assert texts[0].startswith("Bonjour et bienvenue")
    assert {"lang:fr", "lang:es", "lang:ar", "lang:en"} <= set(bot_api.buttons(AMINA.id, since))
    assert all(params["parse_mode"] == "HTML" for params in bot_api.sent(AMINA.id, since))

    published = {call.params.get("language_code"): call.params["commands"] for call in bot_api.calls_to("setMyCommands")}
    assert set(published) == {*SPOKEN, None}
    assert [c["command"] for c in published["ar"]] == ["start", "menu", "language", "help", "privacy", "forget"]
    assert published["es"][0]["description"] == catalogs.translator("es").gettext("Start: welcome and choice of language")
    assert published[None] == published["fr"]


class SlowNLU:
    """The real NLU, answering after a pause as a busy Rasa server would."""

    def __init__(self, nlu, seconds: float):
        self.nlu, self.seconds = nlu, seconds

    async def parse(self, text: str, lang_hint: str | None = None):
        await asyncio.sleep(self.seconds)
        return await self.nlu.parse(text, lang_hint)


async def test_a_slow_answer_shows_typing_before_it(bot_api, database_url, faq, nlu):
    async with running_bot(bot_api, bot_settings(bot_api, database_url), (faq, SlowNLU(nlu, TYPING_AFTER + 0.3))):
        bot_api.message(AMINA, "c koi la prep")
        await bot_api.settle()

    calls = [call for call in bot_api.calls if call.params.get("chat_id") == AMINA.id]
    assert [call.method for call in calls[:2]] == ["sendChatAction", "sendMessage"]
    assert calls[0].params["action"] == "typing"
    assert len(bot_api.calls_to("sendChatAction")) == 1


async def test_a_quick_answer_comes_without_typing(bot_api, database_url, faq, nlu):
    async with running_bot(bot_api, bot_settings(bot_api, database_url), (faq, nlu)):
        bot_api.message(AMINA, "c koi la prep")
        await bot_api.settle()

    assert bot_api.texts(AMINA.id)
    assert not bot_api.calls_to("sendChatAction")


async def test_questions_in_french_spanish_and_arabic_are_answered_in_their_language_and_discreetly(bot_api, database_url, faq, nlu):
    questions = {"fr": (AMINA, "c koi la prep"), "es": (LUCIA, "hola, ¿dónde están?"), "ar": (SALMA, "شنو هي البريب")}
    async with running_bot(bot_api, bot_settings(bot_api, database_url), (faq, nlu)):
        for person, question in questions.values():
            bot_api.message(person, question)
        await bot_api.settle()

    for lang, (person, _question) in questions.items():
        first = bot_api.sent(person.id)[0]
        entry = answered_entry(faq, bot_api.texts(person.id)[0], lang)
        assert entry is not None, (lang, bot_api.texts(person.id)[0])
        assert first.get("protect_content", False) is (faq.entries[entry].topic not in OPEN_TOPICS)
        assert "human" in bot_api.buttons(person.id)


async def test_pressing_a_button_answers_the_query_shows_the_choice_and_replies(bot_api, database_url, faq, nlu, catalogs):
    async with running_bot(bot_api, bot_settings(bot_api, database_url), (faq, nlu)):
        bot_api.message(AMINA, "/start")
        await bot_api.settle()
        since = bot_api.mark()
        bot_api.press(AMINA, "lang:es")
        await bot_api.settle()

    assert len(bot_api.calls_to("answerCallbackQuery", since)) == 1
    [edit] = bot_api.calls_to("editMessageText", since)
    assert edit.params["text"].endswith("→ Español") and "reply_markup" not in edit.params
    spanish = catalogs.translator("es").gettext("Fine, I will answer in {language}.", language="español")
    assert bot_api.texts(AMINA.id, since)[0] == spanish


async def test_a_sticker_and_a_voice_note_get_a_clear_reply_in_the_persons_language(bot_api, database_url, faq, nlu, catalogs):
    spanish = catalogs.translator("es")
    async with running_bot(bot_api, bot_settings(bot_api, database_url), (faq, nlu)):
        bot_api.message(LUCIA, "hola, ¿dónde están?")
        await bot_api.settle()
        since = bot_api.mark()
        bot_api.message(LUCIA, **STICKER)
        await bot_api.settle()
        voice = bot_api.mark()
        bot_api.message(LUCIA, **VOICE)
        await bot_api.settle()

    assert bot_api.texts(LUCIA.id, since)[0] == spanish.gettext("I can only read text messages. Write your question in a few words, or choose a topic.")
    assert bot_api.texts(LUCIA.id, voice) == [spanish.gettext("I can only read text: write your question, or ask for a person.")]
    assert "human" in bot_api.buttons(LUCIA.id, voice)


async def test_an_edited_message_is_answered_as_the_question_it_now_asks(bot_api, database_url, faq, nlu):
    async with running_bot(bot_api, bot_settings(bot_api, database_url), (faq, nlu)):
        bot_api.message(AMINA, "c koi la prep", edited=True)
        await bot_api.settle()

    assert answered_entry(faq, bot_api.texts(AMINA.id)[0], "fr") == "prep.info"


async def test_forget_erases_the_person_after_the_confirmation_button(bot_api, database_url, faq, nlu, catalogs):
    french = catalogs.translator("fr")
    async with running_bot(bot_api, bot_settings(bot_api, database_url), (faq, nlu)) as app:
        bot_api.message(AMINA, "c koi la prep")
        bot_api.message(AMINA, "/forget")
        await bot_api.settle()
        await all_handled(app)
        assert {"forget:yes", "forget:no"} <= set(bot_api.buttons(AMINA.id))
        since = bot_api.mark()
        bot_api.press(AMINA, "forget:yes")
        await bot_api.settle()
        await all_handled(app)
        async with app.storage.unit() as repo:
            remaining = await repo.people.get(app.engine.pseudonym_of("telegram", str(AMINA.id)))

    assert bot_api.texts(AMINA.id, since) == [french.gettext("Done: everything the bot kept about you is erased. If you write again, it starts from zero.")]
    assert remaining is None


async def test_a_database_server_that_drops_its_connections_costs_no_message(bot_api, database_url, faq, nlu):
    """A restart of PostgreSQL closes every connection in the bot's pool: the next message must still be answered."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has no server to restart")
    async with running_bot(bot_api, bot_settings(bot_api, database_url), (faq, nlu)) as app:
        bot_api.message(AMINA, "c koi la prep")
        await bot_api.settle()
        async with app.storage.engine.connect() as connection:  # what a restart of PostgreSQL does to the pool
            others = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            await connection.execute(text(others))
        since = bot_api.mark()
        bot_api.message(AMINA, "quels sont vos horaires")
        await bot_api.settle()

    assert answered_entry(faq, bot_api.texts(AMINA.id, since)[0], "fr") is not None


async def test_a_restart_keeps_the_conversation_where_it_was(bot_api, database_url, faq, nlu, catalogs):
    settings = bot_settings(bot_api, database_url)
    async with running_bot(bot_api, settings, (faq, nlu)):
        bot_api.message(AMINA, "/forget")
        await bot_api.settle()
    async with running_bot(bot_api, settings, (faq, nlu)):
        since = bot_api.mark()
        bot_api.press(AMINA, "forget:yes")
        await bot_api.settle()

    done = catalogs.translator("fr").gettext("Done: everything the bot kept about you is erased. If you write again, it starts from zero.")
    assert bot_api.texts(AMINA.id, since) == [done]


async def test_an_update_delivered_twice_is_answered_once_even_by_another_process(bot_api, database_url, faq, nlu):
    settings = bot_settings(bot_api, database_url)
    async with running_bot(bot_api, settings, (faq, nlu)):
        first = bot_api.message(AMINA, "/help")
        await bot_api.settle()
        answered = len(bot_api.sent(AMINA.id))
        bot_api.push(bot_api.pushed[first])
        await bot_api.settle()
        assert len(bot_api.sent(AMINA.id)) == answered
    async with running_bot(bot_api, settings, (faq, nlu)):
        bot_api.push(bot_api.pushed[first])
        await bot_api.settle()

    assert answered > 0 and len(bot_api.sent(AMINA.id)) == answered


async def test_other_groups_are_ignored_and_a_stranger_in_the_staff_group_gets_nothing(bot_api, database_url, faq, nlu):
    group = {"id": -100_777, "type": "supergroup", "title": "Friends"}
    staff = {"id": -100_555, "type": "supergroup", "title": "Staff"}
    async with running_bot(bot_api, bot_settings(bot_api, database_url, staff_chat_id=staff["id"]), (faq, nlu)):
        since = bot_api.mark()
        bot_api.message(AMINA, "c koi la prep", chat=group)
        bot_api.message(AMINA, "/start", chat=staff)
        await bot_api.settle()

    assert [call.method for call in bot_api.calls[since:] if call.method != "getUpdates"] == []


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # raised inside PTB's own RetryAfter
async def test_flood_control_is_waited_out_and_the_message_sent_again(bot_api, database_url, faq, nlu):
    bot_api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    async with running_bot(bot_api, bot_settings(bot_api, database_url), (faq, nlu)):
        bot_api.message(AMINA, "/help")
        await bot_api.settle(quiet=1.5)

    attempts = bot_api.calls_to("sendMessage")
    assert len(attempts) == len(bot_api.sent(AMINA.id)) >= 2
    assert attempts[0].params["text"] == attempts[1].params["text"]
    assert attempts[1].at - attempts[0].at >= 1


async def test_a_very_long_message_is_answered(bot_api, database_url, faq, nlu):
    async with running_bot(bot_api, bot_settings(bot_api, database_url), (faq, nlu)):
        bot_api.message(AMINA, "prep " * 2000)
        await bot_api.settle()

    assert bot_api.texts(AMINA.id)
