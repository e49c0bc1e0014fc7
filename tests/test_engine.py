"""The conversation engine, one behaviour per test."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.bidi import FSI
from bot.engine import Engine, payloads
from bot.engine.knowledge import Knowledge
from bot.messages import InboundMessage
from bot.storage.models import Event, HandoverRequest, User
from conftest import NOW

BRUSSELS = ZoneInfo("Europe/Brussels")


async def test_first_question_is_answered_in_its_language(send, faq):
    replies = await send("hola, como consigo la prep si no tengo papeles?")
    assert replies[0].lang == "es"
    assert replies[0].text == faq.answer("prep.access", "es")


async def test_first_message_ends_with_the_language_offer(send):
    replies = await send("bonjour, c'est quoi la prep ?")
    assert replies[-1].lang == "fr"
    assert {"lang:fr", "lang:es", "lang:ar", "lang:en"} <= {q.payload for q in replies[-1].quick_replies}


async def test_language_offer_is_made_only_once(send):
    await send("bonjour, c'est quoi la prep ?")
    replies = await send("et ou faire un test de depistage ?")
    assert not any(p.startswith("lang:") for p in replies.payloads)


async def test_arabizi_gets_an_arabic_answer(send):
    replies = await send("salam, wach kayn test dial sida 3andkom?")
    assert replies[0].lang == "ar"


async def test_answer_offers_related_questions_and_a_person(send, faq):
    replies = await send(payload=payloads.faq("prep.info"))
    related = {payloads.faq(r) for r in faq.entries["prep.info"].related[:3]}
    assert related <= set(replies.payloads)
    assert payloads.HUMAN in replies.payloads


async def test_more_button_gives_the_longer_part(send, faq):
    entry = next(e for e in faq.entries.values() if e.more)
    await send("bonjour")
    replies = await send(payload=payloads.more(entry.id))
    assert replies[0].text == faq.text(entry.more, "fr")


async def test_health_answers_are_discreet_and_service_answers_are_not(send):
    health = await send(payload=payloads.faq("drugs.ghb"))
    services = await send(payload=payloads.faq("access.hours"))
    assert health[0].discreet and not services[0].discreet


async def test_crisis_gets_emergency_contacts_in_the_first_reply(send, faq):
    replies = await send("je veux mourir, je n'en peux plus")
    assert replies[0].text == faq.answer("crisis.self_harm", "fr")
    assert faq.facts["suicide_line"].text("fr") in replies[0].text


async def test_crisis_is_queued_for_the_team_first(send, storage):
    await send("un client m'a frappee et il me menace encore, au secours")
    async with storage.unit() as repo:
        request = (await repo.session.scalars(select(HandoverRequest))).one()
    assert request.priority == 10 and request.reason == "crisis.violence"


async def test_asking_for_a_person_queues_a_request(send, storage):
    replies = await send("je voudrais parler a quelqu'un de l'equipe svp")
    async with storage.unit() as repo:
        request = (await repo.session.scalars(select(HandoverRequest))).one()
    assert request.reason == "asked for a person"
    assert any("permanence" in t for t in replies.texts)


async def test_a_second_request_for_a_person_is_not_queued_twice(send, storage, catalogs):
    await send(payload=payloads.HUMAN)
    replies = await send(payload=payloads.HUMAN)
    async with storage.unit() as repo:
        count = len((await repo.session.scalars(select(HandoverRequest))).all())
    assert count == 1
    assert replies.texts[0].startswith(catalogs.translator("fr").gettext("Your message is with the team."))


async def test_not_understood_shows_topics_and_a_person(send):
    replies = await send("la meteo demain a bruxelles ?")
    assert any(p.startswith("topic:") for p in replies.payloads)
    assert payloads.HUMAN in replies.payloads


async def test_not_understood_twice_offers_a_person_first(send):
    await send("la meteo demain a bruxelles ?")
    replies = await send("qui a gagne le match de foot hier soir")
    assert replies[0].quick_replies[0].payload == payloads.HUMAN


async def test_sticker_gets_a_clear_answer(send, catalogs):
    replies = await send(kind="sticker")
    expected = "I can only read text messages. Write your question in a few words, or choose a topic."
    assert replies[0].text == catalogs.translator("fr").gettext(expected)


async def test_voice_note_is_asked_in_writing_or_offered_a_person(send):
    sticker = await send(kind="sticker")
    voice = await send(kind="voice")
    assert voice[0].text != sticker[0].text
    assert payloads.HUMAN in voice.payloads


async def test_empty_message_gets_a_clear_answer(send):
    replies = await send("   ")
    assert replies and replies[0].text


async def test_huge_message_is_answered(send):
    replies = await send("j'ai besoin de la prep " * 500)
    assert replies and replies[0].text


async def test_forged_button_shows_the_menu(send):
    replies = await send(payload="faq:does.not.exist")
    assert any(p.startswith("topic:") for p in replies.payloads)


async def test_language_button_switches_language(send):
    await send("bonjour")
    replies = await send(payload=payloads.language("es"))
    assert replies[0].lang == "es"
    later = await send(payload=payloads.faq("prep.info"))
    assert later[0].lang == "es"


async def test_asking_for_a_language_by_name_switches_to_it(send):
    await send("bonjour")
    replies = await send("vous pouvez me parler en espagnol svp")
    assert replies[0].lang == "es"


async def test_arabic_replies_isolate_numbers_and_latin_names(send):
    replies = await send(payload=payloads.language("ar"))
    replies = await send("عندي مشكل، بغيت نموت")
    assert FSI in replies[0].text


async def test_forget_asks_for_confirmation_first(send, storage):
    await send("bonjour")
    replies = await send("/forget")
    assert payloads.FORGET_YES in replies.payloads
    async with storage.unit() as repo:
        assert (await repo.session.scalars(select(User))).all()


async def test_forget_erases_the_person_and_their_requests(send, storage):
    await send("je veux parler a une personne")
    await send("/forget")
    await send(payload=payloads.FORGET_YES)
    async with storage.unit() as repo:
        assert not (await repo.session.scalars(select(User))).all()
        assert not (await repo.session.scalars(select(HandoverRequest))).all()


async def test_forget_button_without_the_question_asks_again(send, storage):
    await send("bonjour")
    replies = await send(payload=payloads.FORGET_YES)
    assert payloads.FORGET_YES in replies.payloads
    async with storage.unit() as repo:
        assert (await repo.session.scalars(select(User))).all()


async def test_privacy_shows_the_pseudonym_never_the_channel_id(send, engine):
    replies = await send("/privacy")
    assert engine.pseudonym_of("telegram", "123456789") in replies[0].text
    assert "123456789" not in replies[0].text


async def test_nothing_stored_holds_the_channel_id_or_the_text_of_answered_questions(send, storage):
    await send("hola, donde estan?")
    await send("c koi la prep")
    async with storage.unit() as repo:
        users = (await repo.session.scalars(select(User))).all()
        events = (await repo.session.scalars(select(Event))).all()
    stored = repr([vars(u) for u in users]) + repr([vars(e) for e in events])
    assert "donde" not in stored and "koi" not in stored
    assert all(u.pseudonym != "123456789" for u in users)


async def test_every_message_is_counted_without_text(send, storage):
    await send("c koi la prep")
    async with storage.unit() as repo:
        event = (await repo.session.scalars(select(Event))).one()
    assert (event.channel, event.language, event.intent, event.route) == ("telegram", "fr", "prep.info", "answer")


async def test_start_welcomes_and_offers_languages(send):
    replies = await send("/start")
    assert any(p.startswith("lang:") for p in replies.payloads)
    assert "112" in replies.texts[0]


async def test_unknown_command_shows_help(send):
    replies = await send("/whatever")
    assert "/forget" in replies.texts[0]


async def test_every_button_payload_fits_in_64_bytes(faq):
    ids = list(faq.entries) + [t.id for t in faq.topics]
    assert all(len(payloads.more(i).encode()) <= 64 for i in ids)


def at(engine, schedule, moment):
    engine.schedule = schedule
    engine.clock = lambda: moment


async def test_during_the_permanence_a_person_is_told_the_team_answers_here(send, engine, schedule, catalogs):
    at(engine, schedule, datetime(2026, 12, 1, 15, 0, tzinfo=BRUSSELS))
    replies = await send(payload=payloads.HUMAN)
    fr = catalogs.translator("fr")
    assert fr.gettext("A member of the team will answer you here.") in replies[0].text
    assert fr.gettext("You are next.") in replies[0].text


async def test_the_queue_position_counts_who_is_waiting_before(send, engine, schedule):
    at(engine, schedule, datetime(2026, 12, 1, 15, 0, tzinfo=BRUSSELS))
    await send(payload=payloads.HUMAN, person="111")
    await send(payload=payloads.HUMAN, person="222")
    replies = await send(payload=payloads.HUMAN, person="333")
    assert "2 personnes attendent avant toi" in replies[0].text


async def test_a_crisis_jumps_the_queue(send, engine, schedule, storage):
    at(engine, schedule, datetime(2026, 12, 1, 15, 0, tzinfo=BRUSSELS))
    await send(payload=payloads.HUMAN, person="111")
    await send("au secours un client me frappe", person="222")
    async with storage.unit() as repo:
        requests = (await repo.session.scalars(select(HandoverRequest).order_by(HandoverRequest.id))).all()
        assert await repo.handover.ahead_of(requests[1]) == 0
        assert await repo.handover.ahead_of(requests[0]) == 1


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("je voudrais parler a une personne de l'equipe", "mardi 8 décembre à 14:00"),
        ("quiero hablar con una persona del equipo por favor", "martes 8 de diciembre a las 14:00"),
        ("bghit nhder m3a chi wa7ed mn l'equipe", "\u20688\u2069 ديسمبر، الساعة \u206814:00\u2069"),
    ],
)
async def test_outside_the_permanence_the_next_opening_is_given_in_the_persons_language(send, engine, schedule, text, when):
    at(engine, schedule, datetime(2026, 12, 1, 21, 30, tzinfo=BRUSSELS))
    replies = await send(text)
    assert when in replies[0].text


async def test_a_crisis_outside_the_permanence_still_gets_the_contacts_first(send, engine, schedule, faq):
    at(engine, schedule, datetime(2026, 12, 5, 3, 0, tzinfo=BRUSSELS))
    replies = await send("mi amiga no respira despues de tomar G")
    assert replies[0].text == faq.answer("crisis.medical", "es")


async def test_a_topic_button_does_not_put_the_topic_title_on_a_locked_screen(send, faq):
    replies = await send(payload=payloads.topic("drugs"))
    assert replies[0].text.splitlines()[0] != faq.text(next(t for t in faq.topics if t.id == "drugs").title, "fr")
    assert {payloads.faq(e) for e in faq.entries if e.startswith("drugs.")} <= set(replies.payloads)


async def test_a_message_delivered_twice_is_answered_once(engine):
    message = InboundMessage("telegram", "123456789", "123456789", text="c koi la prep", delivery_id="501")
    assert await engine.handle(message)
    assert await engine.handle(message) == []


class FailingOnceNLU:
    """The real NLU, except that its first call fails (a Rasa server restarting, say)."""

    def __init__(self, nlu):
        self.nlu, self.failed = nlu, False

    async def parse(self, text: str, lang_hint: str | None = None):
        if not self.failed:
            self.failed = True
            raise ConnectionError("the NLU is restarting")
        return await self.nlu.parse(text, lang_hint)


async def test_a_message_whose_handling_failed_is_answered_when_delivered_again(storage, faq, nlu, catalogs):
    engine = Engine(storage, Knowledge(faq, FailingOnceNLU(nlu)), catalogs, pseudonym_key="test-key-test-key", clock=lambda: NOW)
    message = InboundMessage("telegram", "123456789", "123456789", text="c koi la prep", delivery_id="501")
    with pytest.raises(ConnectionError):
        await engine.handle(message)
    replies = await engine.handle(message)
    assert replies[0].text == faq.answer("prep.info", "fr")
