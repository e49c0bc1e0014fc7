"""The WhatsApp webhook end to end: Meta's calls in the documented shapes, the replies read back from the fake Graph API.

Each test plays people writing, tapping buttons and sending stickers through signed webhook
calls, and reads what the bot sent as the person's phone would show it.
"""

import logging

import pytest
from sqlalchemy import select

from bot.channels.whatsapp.channel import WEBHOOK_PATH
from bot.engine import Engine
from bot.engine.knowledge import Knowledge
from bot.service import QUIETER_LOGGERS
from bot.storage import Storage, connect, upgrade
from bot.storage.models import Event, SeenUpdate, User
from conftest import NOW
from fakes.graph_api import IMAGE, LOCATION, REACTION, STICKER, VERIFY_TOKEN, VOICE, WaPerson
from fakes.whatsapp_bot import whatsapp_bot

AMINA = WaPerson("32470000001", name="Amina Private")
LUCIA = WaPerson("34600000002", name="Lucía Private")
SALMA = WaPerson("212600000003", name="Salma Private")


def answered_entry(faq, text: str, lang: str) -> str | None:
    return next((entry for entry in faq.entries if faq.answer(entry, lang) == text.strip()), None)


@pytest.fixture
async def bot(graph_api, engine):
    async with whatsapp_bot(graph_api, engine) as running:
        yield running


async def test_the_verification_handshake_answers_the_challenge_only_to_the_verify_token(bot):
    good = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    answered = await bot.client.get(WEBHOOK_PATH, params=good)
    wrong_token = await bot.client.get(WEBHOOK_PATH, params={**good, "hub.verify_token": "guess"})
    wrong_mode = await bot.client.get(WEBHOOK_PATH, params={**good, "hub.mode": "unsubscribe"})
    nothing = await bot.client.get(WEBHOOK_PATH)

    assert (answered.status_code, answered.text) == (200, "1158201444")
    assert wrong_token.status_code == wrong_mode.status_code == nothing.status_code == 403


async def test_a_forged_or_unsigned_call_gets_403_and_nothing_else_happens(bot, storage):
    payload = bot.graph.message(AMINA, "c koi la prep")
    other_body = bot.graph.sign(b'{"object": "whatsapp_business_account"}')
    forged = await bot.post(payload, signature="sha256=" + "0" * 64)
    unsigned = await bot.post(payload, sign=False)
    signed_for_another_body = await bot.post(payload, signature=other_body)
    wrong_secret = await bot.post(payload, signature=bot.graph.sign(b"x").replace("sha256=", "sha1="))
    await bot.settle()

    assert {forged.status_code, unsigned.status_code, signed_for_another_body.status_code, wrong_secret.status_code} == {403}
    assert bot.graph.calls == []
    async with storage.unit() as repo:
        assert (await repo.session.scalars(select(User))).all() == []
        assert (await repo.session.scalars(select(SeenUpdate))).all() == []
        assert (await repo.session.scalars(select(Event))).all() == []


async def test_a_signed_call_that_is_not_json_gets_400(bot):
    body = b"{not json"
    response = await bot.client.post(WEBHOOK_PATH, content=body, headers={"X-Hub-Signature-256": bot.graph.sign(body)})
    assert response.status_code == 400


async def test_a_message_is_acknowledged_at_once_and_answered_after(bot):
    response = await bot.post(bot.graph.message(AMINA, "bonjour"))
    assert response.status_code == 200 and response.text == ""
    await bot.settle()
    assert bot.graph.texts(AMINA)


async def test_a_message_meta_delivers_twice_is_answered_once(bot):
    payload = bot.graph.message(AMINA, "c koi la prep")
    await bot.deliver(payload)
    answered_once = len(bot.graph.sent)
    first, second = await bot.post(payload), await bot.post(payload)
    await bot.settle()

    assert answered_once > 0 and first.status_code == second.status_code == 200
    assert len(bot.graph.sent) == answered_once


async def test_two_bot_processes_sharing_the_database_answer_a_repeated_message_once(database_url, graph_api, faq, nlu, catalogs):
    """Meta may send the repeat to another process behind the proxy: the database decides."""
    storages = [Storage(connect(database_url)) for _ in range(2)]
    await upgrade(storages[0].engine)
    engines = [Engine(s, Knowledge(faq, nlu), catalogs, "test-key-test-key", clock=lambda: NOW) for s in storages]
    payload = graph_api.message(AMINA, "c koi la prep")
    try:
        async with whatsapp_bot(graph_api, engines[0]) as first, whatsapp_bot(graph_api, engines[1]) as second:
            await first.post(payload)
            await second.post(payload)
            await first.settle()
            await second.settle()
    finally:
        for storage in storages:
            await storage.close()
    single = graph_api.messages_to(AMINA)
    assert single and len({sent.text for sent in single}) == len(single)
    assert answered_entry(faq, single[0].text, "fr") == "prep.info"


async def test_questions_in_french_spanish_and_arabic_are_answered_in_their_language(bot, faq):
    questions = {"fr": (AMINA, "c koi la prep"), "es": (LUCIA, "hola, ¿dónde están?"), "ar": (SALMA, "شنو هي البريب")}
    for person, question in questions.values():
        await bot.post(bot.graph.message(person, question))
    await bot.settle()

    for lang, (person, _question) in questions.items():
        entry = answered_entry(faq, bot.graph.texts(person)[0], lang)
        assert entry is not None, (lang, bot.graph.texts(person)[0])
        assert "human" in bot.graph.choice_ids(person)


async def test_an_english_question_is_answered_in_english(bot, faq):
    await bot.deliver(bot.graph.message(AMINA, "what is prep and how does it work"))
    assert answered_entry(faq, bot.graph.texts(AMINA)[0], "en") is not None


async def test_quick_replies_come_as_reply_buttons_or_a_list_within_whatsapps_limits(bot, faq):
    await bot.deliver(bot.graph.message(AMINA, "c koi la prep"))
    answer, language_offer = bot.graph.messages_to(AMINA)[:2]

    assert answer.kind == "list" and len(answer.choices) > 3  # more, related questions, a person
    assert answer.payload["interactive"]["action"]["button"] == "Voir les choix"
    assert language_offer.kind == "list" and {"lang:fr", "lang:es", "lang:ar", "lang:en"} == {c for c, _ in language_offer.choices}
    assert all(len(title) <= 24 for sent in bot.graph.sent for _, title in sent.choices)
    assert bot.graph.refused == []


async def test_at_most_three_choices_come_as_reply_buttons(bot, catalogs):
    await bot.deliver(bot.graph.message(AMINA, "/forget"))
    question = bot.graph.messages_to(AMINA)[-1]
    t = catalogs.translator("fr")

    assert question.kind == "button"
    assert question.choices == [("forget:yes", t.gettext("Yes, erase everything")), ("forget:no", t.gettext("No, keep it"))]


async def test_tapping_a_reply_button_is_answered_as_its_payload(bot, storage, catalogs):
    await bot.deliver(bot.graph.message(AMINA, "/forget"))
    since = bot.graph.mark()
    await bot.deliver(bot.graph.press(AMINA, "forget:yes"))

    done = catalogs.translator("fr").gettext("Done: everything the bot kept about you is erased. If you write again, it starts from zero.")
    assert bot.graph.texts(AMINA, since) == [done]
    async with storage.unit() as repo:
        assert (await repo.session.scalars(select(User))).all() == []


async def test_choosing_a_list_row_is_answered_as_its_payload(bot, faq):
    await bot.deliver(bot.graph.message(LUCIA, "/menu"))
    menu = bot.graph.messages_to(LUCIA)[-1]
    assert menu.kind == "list" and ("topic:prep", faq.text(next(t for t in faq.topics if t.id == "prep").title, "fr")) in menu.choices
    since = bot.graph.mark()
    await bot.deliver(bot.graph.press(LUCIA, "topic:prep"))

    topic = next(t for t in faq.topics if t.id == "prep")
    assert {f"faq:{entry}" for entry in topic.entry_ids} <= set(bot.graph.choice_ids(LUCIA, since))


READS_TEXT = "I can only read text messages. Write your question in a few words, or choose a topic."
READS_VOICE = "I can only read text: write your question, or ask for a person."


@pytest.mark.parametrize(("content", "sentence"), [(STICKER, READS_TEXT), (IMAGE, READS_TEXT), (LOCATION, READS_TEXT), (VOICE, READS_VOICE)])
async def test_a_sticker_a_photo_a_location_or_a_voice_note_gets_a_reply_that_the_bot_reads_text(bot, catalogs, content, sentence):
    await bot.deliver(bot.graph.message(AMINA, **content))
    reply = bot.graph.messages_to(AMINA)[0]
    assert reply.text == catalogs.translator("fr").gettext(sentence) and "human" in [c for c, _ in reply.choices]


async def test_a_reaction_or_a_delivery_receipt_is_not_answered_nor_kept(bot, storage):
    await bot.deliver(bot.graph.message(AMINA, "bonjour"))
    since, last = bot.graph.mark(), bot.graph.messages_to(AMINA)[-1]
    await bot.deliver(bot.graph.message(AMINA, **REACTION))
    for status in ("sent", "delivered", "read"):
        await bot.deliver(bot.graph.status(last, status))

    assert bot.graph.sent[since:] == []
    async with storage.unit() as repo:
        assert len((await repo.session.scalars(select(Event))).all()) == 1


async def test_messages_for_another_number_of_the_app_or_from_a_group_are_left(bot):
    other_number = bot.graph.message(AMINA, "bonjour")
    other_number["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999999999"
    group = bot.graph.message(AMINA, "bonjour")
    group["entry"][0]["changes"][0]["value"]["messages"][0]["group_id"] = "120363000000000000"
    await bot.deliver(other_number)
    await bot.deliver(group)
    assert bot.graph.calls == []


async def test_one_persons_messages_are_answered_in_the_order_they_came(bot, faq, catalogs):
    for text in ("/forget", "c koi la prep"):
        await bot.post(bot.graph.message(AMINA, text))
    await bot.settle()
    texts = bot.graph.texts(AMINA)
    asked = catalogs.translator("fr").gettext("This erases everything the bot keeps about you, including your requests to the team. Are you sure?")
    assert texts[0] == asked and answered_entry(faq, texts[1], "fr") == "prep.info"


async def test_the_number_the_profile_name_and_the_text_never_reach_the_logs_or_the_statistics(bot, storage, caplog):
    """At DEBUG, with the libraries that would log SQL parameters kept quieter, as `outreach-bot run` keeps them."""
    caplog.set_level(logging.DEBUG)
    for name, level in QUIETER_LOGGERS.items():
        caplog.set_level(level, logger=name)
    question = "c koi la prep, je suis inquiète"
    await bot.deliver(bot.graph.message(AMINA, question))
    await bot.deliver(bot.graph.message(AMINA, **STICKER))

    for private in (AMINA.wa_id, AMINA.name, question):
        assert private not in caplog.text
    async with storage.unit() as repo:
        events = (await repo.session.scalars(select(Event))).all()
        users = (await repo.session.scalars(select(User))).all()
    assert events and all(AMINA.wa_id not in repr(vars(event)) for event in events)
    assert [user.channel for user in users] == ["whatsapp"] and AMINA.wa_id not in users[0].pseudonym
    assert all(AMINA.name not in repr(vars(user)) for user in users)

