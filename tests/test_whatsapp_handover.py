"""The handover for a WhatsApp person, end to end: the webhook, the staff topic, the outbox, the fake Graph API.

The staff room is the in-memory one of test_handover.py; WhatsApp's side is real as far as it
goes here: signed webhook calls in, the bot's Graph API client out, and the fake keeping the
24-hour window (outside it, only the template gets through).
"""

import asyncio
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from test_handover import FakeStaffRoom, deliver, staff_says

from bot.engine import Engine
from bot.engine.knowledge import Knowledge
from bot.outbox.worker import Outbox
from bot.storage.models import OutboxMessage
from conftest import NOW
from fakes.graph_api import TEMPLATE_NAME, FakeGraphApi, WaPerson
from fakes.whatsapp_bot import TEMPLATE_LANGUAGES, Clock, WhatsAppBot, whatsapp_bot
from handover.desk import Desk

AMINA = WaPerson("32470000001", name="Amina Private")
PEOPLE = {"fr": AMINA, "es": WaPerson("34600000002", name="Lucía Private"), "ar": WaPerson("212600000003", name="Salma Private")}
ASK_FOR_A_PERSON = {
    "fr": "je voudrais parler a une personne de l'equipe",
    "es": "quiero hablar con una persona del equipo por favor",
    "ar": "شنو هي البريب",  # a question in Arabic, then the "talk to a person" button
}


@dataclass
class Permanence:
    bot: WhatsAppBot
    graph: FakeGraphApi
    desk: Desk
    outbox: Outbox
    room: FakeStaffRoom

    async def write(self, person: WaPerson, text: str) -> None:
        await self.bot.deliver(self.graph.message(person, text))
        await deliver(self.outbox)

    async def ask_for_a_person(self, person: WaPerson, lang: str = "fr") -> int:
        await self.write(person, ASK_FOR_A_PERSON[lang])
        if lang == "ar":
            await self.bot.deliver(self.graph.press(person, "human"))
            await deliver(self.outbox)
        return next(iter(self.room.topics))

    async def staff_reply(self, thread: int, text: str) -> None:
        await staff_says(self.desk, text, thread)
        await deliver(self.outbox)

    async def outbox_rows(self) -> list[OutboxMessage]:
        async with self.outbox.storage.unit() as repo:
            return list((await repo.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "whatsapp"))).all())


@pytest.fixture
async def permanence(graph_api, storage, faq, nlu, catalogs):
    clock, room, wakeup = Clock(NOW), FakeStaffRoom(), asyncio.Event()
    desk = Desk(storage, lambda: faq, catalogs, "fr", clock, wake=wakeup.set)
    engine = Engine(storage, Knowledge(faq, nlu), catalogs, "test-key-test-key", clock=clock, desk=desk)
    async with whatsapp_bot(graph_api, engine, room=room, desk=desk, wakeup=wakeup) as bot:
        yield Permanence(bot, graph_api, desk, bot.outbox, room)


async def test_asking_for_a_person_opens_a_topic_without_the_number_or_the_profile_name(permanence):
    thread = await permanence.ask_for_a_person(AMINA)
    pseudonym = permanence.bot.channel.engine.pseudonym_of("whatsapp", AMINA.wa_id)

    assert permanence.room.topics[thread] == f"{pseudonym} · fr · asked for a person"
    everything = " ".join(permanence.room.topics.values()) + " ".join(text for _, text in permanence.room.posts)
    assert AMINA.wa_id not in everything and AMINA.name not in everything and "Amina" not in everything


async def test_a_staff_reply_inside_the_24_hours_reaches_the_person_on_whatsapp(permanence):
    thread = await permanence.ask_for_a_person(AMINA)
    await permanence.staff_reply(thread, "Bonjour, je suis Sam de l'équipe. Comment puis-je vous aider ?")

    assert permanence.graph.texts(AMINA)[-1] == "Bonjour, je suis Sam de l'équipe. Comment puis-je vous aider ?"
    [row] = [row for row in await permanence.outbox_rows() if row.request_id is not None]
    assert row.status == "sent" and row.platform_message_id == permanence.graph.messages_to(AMINA)[-1].wamid


@pytest.mark.parametrize("lang", ["fr", "es", "ar"])
async def test_a_staff_reply_after_24_hours_is_held_announced_by_the_template_and_delivered_when_the_person_writes(permanence, lang):
    person = PEOPLE[lang]
    thread = await permanence.ask_for_a_person(person, lang)
    permanence.graph.close_window(person)
    since = permanence.graph.mark()
    await permanence.staff_reply(thread, "Voici la réponse à votre question.")
    await permanence.staff_reply(thread, "Et un détail de plus.")

    assert permanence.graph.texts(person, since) == []
    assert permanence.graph.templates(person) == [{"name": TEMPLATE_NAME, "language": {"code": TEMPLATE_LANGUAGES[lang]}}]
    assert {row.status for row in await permanence.outbox_rows() if row.request_id is not None and row.sent_at is None} == {"held"}
    held_notice = permanence.desk.t.gettext(
        "WhatsApp's 24-hour window is closed: this reply is held and goes out as soon as the person writes again "
        "(WhatsApp only lets the bot tell them that an answer is waiting)."
    )
    assert permanence.room.texts(thread).count(held_notice) == 2

    await permanence.write(person, "ok")
    assert permanence.graph.texts(person, since) == ["Voici la réponse à votre question.", "Et un détail de plus."]
    assert len(permanence.graph.templates(person)) == 1


async def test_a_closed_window_reported_later_in_a_status_holds_the_reply_the_same_way(permanence):
    thread = await permanence.ask_for_a_person(AMINA)
    await permanence.staff_reply(thread, "Voici la réponse.")
    sent = permanence.graph.messages_to(AMINA)[-1]
    await permanence.bot.deliver(permanence.graph.status(sent, "failed", 131047))
    await deliver(permanence.outbox)

    assert permanence.graph.templates(AMINA) == [{"name": TEMPLATE_NAME, "language": {"code": "fr"}}]
    await permanence.write(AMINA, "je suis là")
    assert permanence.graph.texts(AMINA).count("Voici la réponse.") == 2


async def test_a_failed_delivery_of_a_staff_reply_is_told_in_the_topic(permanence):
    thread = await permanence.ask_for_a_person(AMINA)
    await permanence.staff_reply(thread, "Vous êtes là ?")
    sent = permanence.graph.messages_to(AMINA)[-1]
    await permanence.bot.deliver(permanence.graph.status(sent, "delivered"))
    await permanence.bot.deliver(permanence.graph.status(sent, "failed", 131026))
    await permanence.bot.deliver(permanence.graph.status(sent, "failed", 131026))  # Meta repeats itself
    await deliver(permanence.outbox)

    blocked = permanence.desk.t.gettext("The person has blocked the bot: the message was not delivered.")
    assert permanence.room.texts(thread).count(blocked) == 1
