"""What the engine records for reports as it handles messages: who is new, where they came from,
the questions it could not answer (scrubbed), and nothing that /forget would have to erase from statistics."""

from sqlalchemy import select

from bot.storage import Storage
from bot.storage.models import Event, UnansweredQuestion
from nlu.intents import Route


async def events(storage: Storage) -> list[Event]:
    async with storage.unit() as repo:
        return list(await repo.session.scalars(select(Event).order_by(Event.id)))


async def unanswered(storage: Storage) -> list[UnansweredQuestion]:
    async with storage.unit() as repo:
        return list(await repo.session.scalars(select(UnansweredQuestion)))


async def test_only_a_persons_first_message_ever_is_a_first_contact(send, storage):
    await send("bonjour")
    await send("c'est quoi la prep")
    assert [event.first_contact for event in await events(storage)] == [True, False]


async def test_one_persons_messages_share_a_hash_per_bucket_and_two_people_differ(send, storage):
    await send("bonjour", person="1")
    await send("merci", person="1")
    await send("bonjour", person="2")
    first, again, other = await events(storage)
    assert first.person_month == again.person_month != other.person_month
    assert len({first.person_month, first.person_period, first.person_quarter, first.person_year}) == 4


async def test_a_telegram_deep_link_records_its_campaign_on_the_persons_messages(send, storage):
    await send("/start outreach-van")
    await send("c'est quoi la prep")
    assert [event.source for event in await events(storage)] == ["outreach-van", "outreach-van"]


async def test_a_whatsapp_code_is_recognised_on_the_first_message_and_not_read_by_the_nlu(send, storage):
    await send("Bonjour ! ref:flyer-gare")
    [event] = await events(storage)
    assert (event.source, event.intent) == ("flyer-gare", "greet")


async def test_a_code_in_a_later_message_is_not_a_campaign(send, storage):
    await send("bonjour")
    await send("ref:flyer-gare")
    assert [event.source for event in await events(storage)] == [None, None]


async def test_a_question_not_understood_is_kept_for_the_faq_editors_scrubbed(send, storage):
    await send("je m'appelle Fatima Zahra, mon numéro est +32 470 12 34 56, quel temps fera-t-il demain ?")
    [question] = await unanswered(storage)
    assert question.text == "je m'appelle [name], mon numéro est [phone], quel temps fera-t-il demain ?"
    assert (await events(storage))[-1].route == Route.FALLBACK


async def test_forget_erases_the_unanswered_questions_and_keeps_the_statistics(send, storage):
    await send("quel temps fera-t-il demain ?")
    await send("/forget")
    await send(payload="forget:yes")
    assert await unanswered(storage) == []
    assert len(await events(storage)) == 3
