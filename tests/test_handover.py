"""The handover desk and its outbox, with a staff room and a person's channel recorded in memory.

The real Telegram staff group is exercised in the Telegram end-to-end tests; here the rules:
who may act, what reaches whom, what survives a restart, what is erased.
"""

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import select

from bot.bidi import FSI, PDI
from bot.engine import Engine, payloads
from bot.engine.knowledge import Knowledge
from bot.faq.model import Faq
from bot.i18n import Catalogs
from bot.messages import Delivered, InboundMessage, OutsideWindow, Reply, RetryLater, Undeliverable
from bot.outbox.worker import FIRST_BACKOFF, Outbox, backoff
from bot.reports.staff import summary
from bot.settings import load_settings
from bot.storage import Storage, connect, upgrade
from bot.storage.models import HandoverMessage, HandoverRequest, OutboxMessage, User
from conftest import NOW
from handover import jobs
from handover.commands import StaffCommands
from handover.desk import Desk, Outcome
from handover.schedule import load_schedule
from handover.staff import StaffMessage
from nlu.embedded import EmbeddedNLU

SAM, LOU, STRANGER = 111, 222, 999
STAFF_GROUP = -1001234567890
PERSON = "5550001"
CLOSED_NOTICE = "The team has closed this conversation. You can write again here whenever you want."


@dataclass
class FakeStaffRoom:
    topics: dict[int, str] = field(default_factory=dict)
    posts: list[tuple[int | None, str]] = field(default_factory=list)

    async def open_topic(self, title: str) -> int:
        thread = 1000 + len(self.topics)
        self.topics[thread] = title
        return thread

    async def post(self, thread_id: int | None, text: str) -> None:
        self.posts.append((thread_id, text))

    def texts(self, thread_id: int | None = None) -> list[str]:
        return [text for thread, text in self.posts if thread == thread_id]


@dataclass
class FakeSender:
    sent: list[tuple[str, Reply]] = field(default_factory=list)
    results: list = field(default_factory=list)
    announced: list[str] = field(default_factory=list)

    async def send(self, address: str, reply: Reply):
        result = self.results.pop(0) if self.results else Delivered()
        if isinstance(result, Delivered):
            self.sent.append((address, reply))
        return result

    async def announce_held(self, address: str, lang: str):
        self.announced.append(lang)
        return Delivered()


@pytest.fixture
def room() -> FakeStaffRoom:
    return FakeStaffRoom()


@pytest.fixture
def person() -> FakeSender:
    return FakeSender()


def staffed(storage: Storage, faq: Faq, nlu: EmbeddedNLU, catalogs: Catalogs, person: FakeSender, room: FakeStaffRoom) -> tuple[Engine, Desk, Outbox]:
    """The engine, the desk and the outbox as `outreach-bot run` builds them (bot/app.py, bot/service.py)."""
    wakeup, clock = asyncio.Event(), (lambda: NOW)
    desk = Desk(storage, lambda: faq, catalogs, "fr", clock, wake=wakeup.set)
    engine = Engine(storage, Knowledge(faq, nlu), catalogs, "test-key-test-key", clock=clock, desk=desk)
    return engine, desk, Outbox(storage, {"telegram": person}, room, clock, on_undelivered=desk.undelivered, wakeup=wakeup)


@pytest.fixture
def permanence(storage, faq, nlu, catalogs, person, room) -> tuple[Engine, Desk, Outbox]:
    return staffed(storage, faq, nlu, catalogs, person, room)


@pytest.fixture
def engine(permanence) -> Engine:
    return permanence[0]


@pytest.fixture
def desk(permanence) -> Desk:
    return permanence[1]


@pytest.fixture
def outbox(permanence) -> Outbox:
    return permanence[2]


async def deliver(outbox) -> None:
    while await outbox.deliver_due():
        pass


async def write(engine: Engine, text: str = "", payload: str | None = None, who: str = PERSON) -> list[Reply]:
    kind = "button" if payload else "text"
    return await engine.handle(InboundMessage("telegram", who, who, kind=kind, text=text, payload=payload))


async def ask_for_a_person(engine, outbox, room, text: str = "je voudrais parler a une personne de l'equipe") -> int:
    await write(engine, text)
    await deliver(outbox)
    return next(iter(room.topics))


async def staff_says(desk: Desk, text: str, thread: int | None, who: int = SAM, edited: bool = False, replies_to_colleague: bool = False) -> None:
    """As typed in the Telegram staff group, through the same commands (the allow-list: Sam and Lou)."""
    message = StaffMessage(who, thread, text, edited, replies_to_colleague=replies_to_colleague)
    await StaffCommands(desk, {SAM: "Sam", LOU: "Lou"}, STAFF_GROUP).on_staff_message(message)


async def test_a_handover_opens_a_topic_named_by_pseudonym_language_and_reason(engine, outbox, room):
    thread = await ask_for_a_person(engine, outbox, room)
    pseudonym = engine.pseudonym_of("telegram", PERSON)
    assert room.topics[thread] == f"{pseudonym} · fr · asked for a person"
    summary = room.texts(thread)[0]
    assert pseudonym in summary and "je voudrais parler a une personne" in summary


async def test_staff_never_see_the_persons_channel_id(engine, outbox, room, desk):
    thread = await ask_for_a_person(engine, outbox, room)
    await write(engine, "je suis encore la")
    await staff_says(desk, "/claim", thread)
    await deliver(outbox)
    everything = " ".join(room.topics.values()) + " ".join(text for _, text in room.posts)
    assert PERSON not in everything


async def test_a_staff_reply_reaches_the_person_without_the_staff_name(engine, outbox, room, desk, person):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "Bonjour, je suis là. Comment puis-je aider ?", thread)
    await deliver(outbox)
    address, reply = person.sent[-1]
    assert address == PERSON and reply.text == "Bonjour, je suis là. Comment puis-je aider ?"
    assert "Sam" not in reply.text


async def test_the_first_staff_reply_takes_the_conversation(engine, outbox, room, desk, storage):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "Bonjour", thread, who=LOU)
    async with storage.unit() as repo:
        request = await repo.handover.in_thread(thread)
    assert (request.status, request.staff_alias) == ("active", "Lou")


async def test_claim_tells_the_person_and_a_second_claim_is_refused(engine, outbox, room, desk, person, storage):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "/claim", thread, who=SAM)
    await staff_says(desk, "/claim", thread, who=LOU)
    await deliver(outbox)
    assert "Sam" in room.texts(thread)[1] and "Sam" in room.texts(thread)[2]
    assert len(person.sent) == 1
    async with storage.unit() as repo:
        assert (await repo.handover.in_thread(thread)).staff_alias == "Sam"


async def test_the_desk_actions_say_what_they_did_for_any_front_end(engine, outbox, room, desk):
    conversation = await desk.conversation_in_thread(await ask_for_a_person(engine, outbox, room))
    assert conversation is not None
    assert await desk.take(conversation, "Sam") == Outcome.DONE
    assert await desk.take(conversation, "Lou") == Outcome.TAKEN_BY_ANOTHER
    assert await desk.close(conversation, "Sam") == Outcome.DONE
    assert await desk.reply(conversation, "Sam", "Encore là ?") == Outcome.CLOSED
    assert await desk.note(conversation + 1, "Sam", "?") == Outcome.NOT_FOUND


SENDING = {"reply": ("reply", "Bonjour !"), "snippet": ("send_snippet", "looking-into-it")}
"""The desk's actions that send the person something, and what each is given."""


@pytest.mark.parametrize("action", SENDING)
async def test_an_action_repeated_with_its_key_is_done_once(engine, outbox, room, desk, person, faq, action):
    method, argument = SENDING[action]
    conversation = await desk.conversation_in_thread(await ask_for_a_person(engine, outbox, room))
    assert conversation is not None
    first = await getattr(desk, method)(conversation, "Sam", argument, key="web-42")
    again = await getattr(desk, method)(conversation, "Sam", argument, key="web-42")
    await deliver(outbox)
    expected = faq.text(faq.snippets[argument].text, "fr") if action == "snippet" else argument
    assert (first, again) == (Outcome.DONE, Outcome.REPEATED)
    assert [reply.text for _, reply in person.sent] == [expected]


async def test_release_puts_the_conversation_back_in_its_place_and_tells_the_person_without_a_name(engine, outbox, room, desk, person, storage, catalogs):
    first = await ask_for_a_person(engine, outbox, room)
    await write(engine, "je voudrais parler a une personne de l'equipe", who="5550002")
    await deliver(outbox)
    await staff_says(desk, "/claim", first, who=SAM)
    await staff_says(desk, "/release", first, who=SAM)
    await deliver(outbox)
    async with storage.unit() as repo:
        queue = [(request.staff_thread_id, request.status, request.staff_alias) for request in await repo.handover.open_all()]
    told = [reply.text for address, reply in person.sent if address == PERSON][-1]
    assert queue[0] == (first, "waiting", None)
    assert told == catalogs.translator("fr").gettext("Your conversation is back with the team: someone will answer you here.") and "Sam" not in told


async def test_transfer_hands_the_conversation_to_a_colleague_on_the_allow_list(engine, outbox, room, desk, person, storage):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "/claim", thread, who=SAM)
    await staff_says(desk, "/transfer nobody", thread, who=SAM)
    await staff_says(desk, "/transfer lou", thread, who=SAM)
    await deliver(outbox)
    async with storage.unit() as repo:
        request = await repo.handover.in_thread(thread)
    told = person.sent[-1][1].text
    assert (request.status, request.staff_alias) == ("active", "Lou")
    assert "Lou, Sam" in room.texts(thread)[-2] and "Lou" in room.texts(thread)[-1]
    assert "Lou" not in told and "Sam" not in told


REQUESTS = {
    "es": "quiero hablar con una persona del equipo por favor",
    "fr": "je voudrais parler a une personne de l'equipe",
    "ar": "بغيت نهضر مع شي واحد من الفريق",
}
"""Three people asking for the team, in the order they wrote: one per language."""


async def three_waiting(engine, outbox, room) -> dict[str, int]:
    """Their topics by language; each writes as a person of their own (their language is the key)."""
    for lang, text in REQUESTS.items():
        await write(engine, text, who=lang)
    await deliver(outbox)
    return dict(zip(REQUESTS, room.topics, strict=True))


async def queue_order(engine, outbox, room, desk) -> list[tuple[str, str]]:
    """What /queue shows, in its order: each line's person (by the language that is their key) and status."""
    await staff_says(desk, "/queue", None)
    await deliver(outbox)
    lines = room.texts(None)[-1].splitlines()[1:]
    by_pseudonym = {engine.pseudonym_of("telegram", lang): lang for lang in REQUESTS}
    return [(by_pseudonym[line.removeprefix("• ").split(" · ")[0]], line.rsplit(" · ", 1)[-1]) for line in lines]


async def test_a_released_conversation_keeps_its_place_ahead_of_those_who_came_later(engine, outbox, room, desk):
    threads = await three_waiting(engine, outbox, room)
    await staff_says(desk, "/claim", threads["es"], who=SAM)
    await staff_says(desk, "/claim", threads["fr"], who=LOU)
    await staff_says(desk, "/release", threads["es"], who=SAM)
    assert await queue_order(engine, outbox, room, desk) == [("es", "waiting"), ("fr", "active"), ("ar", "waiting")]


async def test_a_transfer_keeps_the_conversation_active_under_the_colleague_without_reordering_the_queue(engine, outbox, room, desk, storage):
    threads = await three_waiting(engine, outbox, room)
    await staff_says(desk, "/claim", threads["fr"], who=SAM)
    await staff_says(desk, "/transfer Lou", threads["fr"], who=SAM)
    assert await queue_order(engine, outbox, room, desk) == [("es", "waiting"), ("fr", "active"), ("ar", "waiting")]
    async with storage.unit() as repo:
        assert (await repo.handover.in_thread(threads["fr"])).staff_alias == "Lou"


TOLD = {
    "release": ("es", "/release", "Your conversation is back with the team: someone will answer you here."),
    "transfer": ("ar", "/transfer lou", "Another member of the team is taking over your conversation. You can write here."),
}
"""What the person is told when a conversation leaves a staff member's hands: the team, never a name."""


@pytest.mark.parametrize("action", TOLD)
async def test_a_released_or_transferred_person_is_told_in_their_language_never_with_a_staff_name(engine, outbox, room, desk, person, catalogs, action):
    lang, command, sentence = TOLD[action]
    threads = await three_waiting(engine, outbox, room)
    await staff_says(desk, "/claim", threads[lang], who=SAM)
    await staff_says(desk, command, threads[lang], who=SAM)
    await deliver(outbox)
    told = [reply for address, reply in person.sent if address == lang][-1]
    assert (told.text, told.lang) == (catalogs.translator(lang).gettext(sentence), lang)
    assert "Lou" not in told.text and "Sam" not in told.text


async def test_close_tells_the_person_who_can_come_back(engine, outbox, room, desk, person, storage):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "/close", thread)
    await deliver(outbox)
    assert person.sent and person.sent[-1][1].lang == "fr"
    async with storage.unit() as repo:
        assert (await repo.handover.in_thread(thread)).status == "closed"
    replies = await write(engine, "c koi la prep")
    assert replies and replies[0].text


async def test_someone_not_on_the_allow_list_can_do_nothing(engine, outbox, room, desk, person, storage):
    thread = await ask_for_a_person(engine, outbox, room)
    posts_before = len(room.posts)
    for text in ("/claim", "/close", "/faq prep.info", "/block spam", "hello from outside", "/queue"):
        await staff_says(desk, text, thread, who=STRANGER)
    await staff_says(desk, "/queue", None, who=STRANGER)
    await deliver(outbox)
    assert len(room.posts) == posts_before and person.sent == []
    async with storage.unit() as repo:
        assert (await repo.handover.in_thread(thread)).status == "waiting"


async def test_a_note_is_kept_and_never_sent(engine, outbox, room, desk, person, storage):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "/note a deja eu un TPE en mars", thread)
    await deliver(outbox)
    assert person.sent == []
    async with storage.unit() as repo:
        notes = (await repo.session.scalars(select(HandoverMessage).where(HandoverMessage.author == "note"))).all()
    assert notes[0].text == "a deja eu un TPE en mars"


async def notes(storage: Storage) -> list[str]:
    async with storage.unit() as repo:
        return [note.text or "" for note in await repo.session.scalars(select(HandoverMessage).where(HandoverMessage.author == "note"))]


async def test_a_message_starting_with_an_exclamation_mark_is_kept_as_a_note_and_never_sent(engine, outbox, room, desk, person, storage, catalogs):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "! Lou, tu peux regarder son dernier message ?", thread)
    await deliver(outbox)
    assert person.sent == []
    assert await notes(storage) == ["Lou, tu peux regarder son dernier message ?"]
    assert room.texts(thread)[-1] == catalogs.translator("fr").gettext("Note kept for the team (never sent to the person).")


async def test_a_note_edited_with_its_exclamation_mark_is_never_sent_as_a_correction(engine, outbox, room, desk, person, storage):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "!elle a l'air pressee", thread)
    await staff_says(desk, "!elle a l'air pressée", thread, edited=True)
    await deliver(outbox)
    assert person.sent == []
    assert await notes(storage) == ["elle a l'air pressee", "elle a l'air pressée"]


async def test_a_reply_to_a_colleagues_message_stays_within_the_team(engine, outbox, room, desk, person, storage):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "Bonjour, je suis là.", thread, who=LOU)
    await staff_says(desk, "Bien vu, je prends la suite après.", thread, who=SAM, replies_to_colleague=True)
    await deliver(outbox)
    assert [reply.text for _, reply in person.sent] == ["Bonjour, je suis là."]
    assert await notes(storage) == ["Bien vu, je prends la suite après."]


async def test_the_topic_summary_says_how_to_keep_a_message_for_the_team(engine, outbox, room):
    thread = await ask_for_a_person(engine, outbox, room)
    last_line = room.texts(thread)[0].splitlines()[-1]
    assert "!" in last_line and last_line.startswith("Écris ici pour répondre à la personne.")


async def test_id_tells_staff_the_group_id_and_their_own_where_they_asked(engine, outbox, room, desk):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "/id", None, who=LOU)
    await staff_says(desk, "/id@outreach_bot", thread, who=SAM)
    await deliver(outbox)
    assert f"{STAFF_GROUP}" in room.texts(None)[-1] and f"{LOU}:Lou" in room.texts(None)[-1]
    assert f"{STAFF_GROUP}" in room.texts(thread)[-1] and f"{SAM}:Sam" in room.texts(thread)[-1]


async def test_id_from_an_account_not_on_the_allow_list_is_answered_in_the_log_only(engine, outbox, room, desk, caplog):
    thread = await ask_for_a_person(engine, outbox, room)
    posts_before = len(room.posts)
    with caplog.at_level("INFO", logger="handover.commands"):
        await staff_says(desk, "/id", thread, who=STRANGER)
    await deliver(outbox)
    assert len(room.posts) == posts_before
    assert f"add {STRANGER}:NAME to STAFF_IDS" in caplog.text


async def test_faq_command_sends_the_answer_in_the_persons_language(engine, outbox, room, desk, person, faq):
    thread = await ask_for_a_person(engine, outbox, room, "quiero hablar con una persona del equipo por favor")
    await staff_says(desk, "/faq prep.access", thread)
    await deliver(outbox)
    assert person.sent[-1][1].text == faq.answer("prep.access", "es")


async def test_a_snippet_reaches_the_person_in_their_language(engine, outbox, room, desk, person, faq):
    thread = await ask_for_a_person(engine, outbox, room, REQUESTS["es"])
    await staff_says(desk, "/snippet prep-cost", thread)
    await deliver(outbox)
    assert person.sent[-1][1] == Reply(faq.text(faq.snippets["prep-cost"].text, "es"), "es", discreet=True)
    assert "12 €" in person.sent[-1][1].text and "{" not in person.sent[-1][1].text


async def test_a_snippet_in_arabic_keeps_latin_names_and_numbers_in_reading_order(engine, outbox, room, desk, person, faq):
    thread = await ask_for_a_person(engine, outbox, room, REQUESTS["ar"])
    await staff_says(desk, "/snippet prep-cost", thread)
    await deliver(outbox)
    sent = person.sent[-1][1]
    phone = faq.facts["exaequo_prep_phone"].text("ar")
    assert sent.lang == "ar" and "ثمن" in sent.text and f"{FSI}{phone}{PDI}" in sent.text and f"{FSI}Ex Aequo{PDI}" in sent.text


async def test_a_snippet_is_kept_in_the_conversation_as_a_staff_reply_and_the_topic_says_what_went_out(engine, outbox, room, desk, person, storage, faq):
    thread = await ask_for_a_person(engine, outbox, room, REQUESTS["es"])
    await staff_says(desk, "/snippet looking-into-it", thread, who=LOU)
    await deliver(outbox)
    async with storage.unit() as repo:
        request = await repo.handover.in_thread(thread)
        said = (await repo.handover.last_messages(request, 1))[0]
    assert (said.author, said.staff_alias, said.text) == ("staff", "Lou", person.sent[-1][1].text)
    assert (request.status, request.staff_alias) == ("active", "Lou")
    assert room.texts(thread)[-1] == desk.t.gettext("Snippet {name} sent ({lang}).", name="looking-into-it", lang="es")
    assert "Lou" not in person.sent[-1][1].text


async def test_an_unknown_snippet_sends_nothing_and_lists_the_names_with_the_one_meant(engine, outbox, room, desk, person, faq):
    thread = await ask_for_a_person(engine, outbox, room)
    conversation = await desk.conversation_in_thread(thread)
    assert conversation is not None
    assert await desk.send_snippet(conversation, "Sam", "prep-cots") == Outcome.UNKNOWN_SNIPPET
    await deliver(outbox)
    listed = room.texts(thread)[-1]
    assert person.sent == []
    assert desk.t.gettext("Did you mean {name}?", name="prep-cost") in listed and all(name in listed for name in faq.snippets)


async def test_snippet_without_a_name_lists_the_names(engine, outbox, room, desk, person, faq):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "/snippet", thread)
    await deliver(outbox)
    names = ", ".join(sorted(faq.snippets))
    assert room.texts(thread)[-1] == desk.t.gettext("Snippets you can send with /snippet NAME: {names}", names=names)
    assert person.sent == []


async def test_a_snippet_to_a_closed_conversation_sends_nothing(engine, outbox, room, desk, person):
    conversation = await desk.conversation_in_thread(await ask_for_a_person(engine, outbox, room))
    assert conversation is not None
    await desk.close(conversation, "Sam")
    assert await desk.send_snippet(conversation, "Sam", "looking-into-it") == Outcome.CLOSED
    await deliver(outbox)
    assert [reply.text for _, reply in person.sent] == [desk.catalogs.translator("fr").gettext(CLOSED_NOTICE)]


async def test_while_staff_answer_the_bot_relays_instead_of_answering(engine, outbox, room, desk):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "/claim", thread)
    replies = await write(engine, "c koi la prep")
    await deliver(outbox)
    assert replies == []
    assert any("c koi la prep" in text for text in room.texts(thread))


async def test_while_staff_answer_a_crisis_still_gets_the_contacts(engine, outbox, room, desk, faq):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "/claim", thread)
    replies = await write(engine, "je veux mourir")
    assert replies[0].text == faq.answer("crisis.self_harm", "fr")


async def test_a_crisis_in_a_conversation_already_queued_is_flagged_in_its_topic(engine, outbox, room, storage):
    thread = await ask_for_a_person(engine, outbox, room)
    await write(engine, "un client me frappe au secours")
    await deliver(outbox)
    assert any("crisis.violence" in text for text in room.texts(thread))
    async with storage.unit() as repo:
        assert (await repo.handover.in_thread(thread)).priority == 10


async def test_blocked_people_are_ignored(engine, outbox, room, desk):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "/block insultes répétées", thread)
    assert await write(engine, "bonjour") == []


async def test_if_the_person_blocked_the_bot_the_topic_says_so(engine, outbox, room, desk, person):
    thread = await ask_for_a_person(engine, outbox, room)
    person.results = [Undeliverable("blocked")]
    await staff_says(desk, "Vous êtes là ?", thread)
    await deliver(outbox)
    assert any("bloqué" in text or "blocked" in text for text in room.texts(thread))


async def test_a_busy_platform_is_retried_until_delivered(engine, outbox, room, desk, person, storage):
    thread = await ask_for_a_person(engine, outbox, room)
    person.results = [RetryLater(0), RetryLater(0)]
    await staff_says(desk, "Vous êtes là ?", thread)
    await deliver(outbox)
    outbox.clock = lambda: NOW + timedelta(seconds=FIRST_BACKOFF)
    await deliver(outbox)
    assert person.sent == []
    outbox.clock = lambda: NOW + timedelta(seconds=3 * FIRST_BACKOFF)
    await deliver(outbox)
    assert [r.text for _, r in person.sent] == ["Vous êtes là ?"]


def test_each_try_waits_twice_as_long_as_the_last_or_what_the_platform_asked():
    assert [backoff(attempts, 0) for attempts in range(4)] == [FIRST_BACKOFF, 2 * FIRST_BACKOFF, 4 * FIRST_BACKOFF, 8 * FIRST_BACKOFF]
    assert backoff(0, 120) == 120


async def test_a_closed_whatsapp_window_holds_the_reply_until_the_person_writes(engine, outbox, room, desk, person, storage):
    thread = await ask_for_a_person(engine, outbox, room)
    person.results = [OutsideWindow()]
    await staff_says(desk, "Voici la réponse", thread)
    await deliver(outbox)
    assert person.sent == [] and person.announced == ["fr"]
    await write(engine, "re bonjour")
    await deliver(outbox)
    assert [r.text for _, r in person.sent] == ["Voici la réponse"]


async def test_a_restart_between_the_message_and_the_staff_reply_loses_nothing(tmp_path, faq, nlu, catalogs):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    room, person = FakeStaffRoom(), FakeSender()

    async def running() -> tuple[Engine, object, object, Storage]:
        storage = Storage(connect(url))
        await upgrade(storage.engine)
        engine, desk, outbox = staffed(storage, faq, nlu, catalogs, person, room)
        return engine, desk, outbox, storage

    engine, desk, outbox, storage = await running()
    await write(engine, "je voudrais parler a une personne de l'equipe")
    await storage.close()  # the bot stops before the outbox ran
    engine, desk, outbox, storage = await running()
    await deliver(outbox)
    thread = next(iter(room.topics))
    await staff_says(desk, "Bonjour !", thread)
    await storage.close()  # and again before the reply went out
    engine, desk, outbox, storage = await running()
    await deliver(outbox)
    await storage.close()
    assert [r.text for _, r in person.sent] == ["Bonjour !"]


async def test_forget_erases_open_handovers_and_tells_the_topic(engine, outbox, room, desk, storage):
    thread = await ask_for_a_person(engine, outbox, room)
    await write(engine, "/forget")
    await write(engine, payload=payloads.FORGET_YES)
    await deliver(outbox)
    async with storage.unit() as repo:
        assert (await repo.session.scalars(select(HandoverRequest))).all() == []
        assert (await repo.session.scalars(select(HandoverMessage))).all() == []
        assert (await repo.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id.is_not(None)))).all() == []
    assert "/forget" in room.texts(thread)[-1]


async def test_the_waiting_queue_is_posted_once_when_the_permanence_opens(engine, outbox, room, desk, storage, tmp_path):
    path = tmp_path / "schedule.yml"
    path.write_text('timezone: Europe/Brussels\nweekly:\n  - {day: tuesday, start: "14:00", end: "18:00"}\n')
    schedule = load_schedule(path)
    await ask_for_a_person(engine, outbox, room)
    opening = datetime(2026, 12, 1, 13, 2, tzinfo=UTC)  # 14:02 in Brussels
    await jobs.announce_permanence(desk, storage, schedule, opening)
    await jobs.announce_permanence(desk, storage, schedule, opening + timedelta(minutes=1))  # another process
    await deliver(outbox)
    queue_posts = [text for text in room.texts(None) if engine.pseudonym_of("telegram", PERSON) in text]
    assert len(queue_posts) == 1


async def test_text_of_closed_handovers_is_erased_after_the_retention_period(engine, outbox, room, desk, storage):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "/close", thread)
    later = engine.clock() + timedelta(days=31)
    assert await jobs.erase_old_text(storage, 30, later) == 1
    async with storage.unit() as repo:
        request = await repo.handover.in_thread(thread)
        assert request.text is None
        assert (await repo.session.scalars(select(HandoverMessage))).all() == []


async def test_two_staff_members_claiming_at_once_only_one_wins(database_url):
    storage = Storage(connect(database_url))
    await upgrade(storage.engine)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    async with storage.unit() as repo:
        user = (await repo.people.arrive("PSEUDO12", "telegram", "1", now)).user
        request = await repo.handover.add_request(user, "asked for a person", 0, None, now)
    won = []
    for alias in ("Sam", "Lou"):  # the UPDATE only passes while the request is still waiting
        async with storage.unit() as repo:
            won.append(await repo.handover.claim(await repo.handover.get(request.id), alias, now))
    await storage.close()
    assert won == [True, False]


async def test_two_outbox_workers_never_take_the_same_message(database_url):
    """One after the other everywhere; at the very same time on PostgreSQL (SKIP LOCKED).

    (SQLite lets one writer at a time: the second worker waits for the first to commit, which
    the sequential case covers.)
    """
    storage = Storage(connect(database_url))
    await upgrade(storage.engine)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    lease = timedelta(seconds=60)
    async with storage.unit() as repo:
        for n in range(10):
            await repo.outbox.enqueue("telegram", "1", {"text": str(n), "lang": "fr"}, now)
    if database_url.startswith("postgresql"):
        async with storage.unit() as first:
            taken_first = await first.outbox.claim_due("worker-a", now, 6, lease)
            async with storage.unit() as second:
                taken_second = await second.outbox.claim_due("worker-b", now, 6, lease)
    else:
        async with storage.unit() as first:
            taken_first = await first.outbox.claim_due("worker-a", now, 6, lease)
        async with storage.unit() as second:
            taken_second = await second.outbox.claim_due("worker-b", now, 6, lease)
    await storage.close()
    ids_first, ids_second = {m.id for m in taken_first}, {m.id for m in taken_second}
    assert len(ids_first) == 6 and len(ids_second) == 4 and not ids_first & ids_second


@pytest.mark.parametrize("user_field", ["pseudonym"])
def test_user_table_has_no_column_for_a_name_or_number(user_field):
    columns = {c.name for c in User.__table__.columns}
    assert user_field in columns and not columns & {"username", "first_name", "phone", "telegram_id", "wa_id"}


def test_the_queue_command_lists_pseudonyms_never_ids(tmp_path, monkeypatch, capsys):
    import asyncio

    from bot.cli import main

    url = f"sqlite+aiosqlite:///{tmp_path / 'queue.sqlite3'}"

    async def one_waiting() -> None:
        storage = Storage(connect(url))
        await upgrade(storage.engine)
        async with storage.unit() as repo:
            user = (await repo.people.arrive("PSEUDO12", "telegram", PERSON, datetime.now(UTC))).user
            await repo.handover.add_request(user, "crisis.violence", 10, "texte", datetime.now(UTC))
        await storage.close()

    asyncio.run(one_waiting())
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["handover", "queue"]) == 0
    out = capsys.readouterr().out
    assert "PSEUDO12" in out and "crisis.violence" in out and PERSON not in out and "texte" not in out


async def test_the_outbox_does_not_send_again_a_reply_the_journal_holds_as_sent(outbox, person, storage):
    """Sent a moment ago by the inbox's own path, its deletion not yet committed: the outbox must not send it twice."""
    async with storage.unit() as repo:
        row = await repo.outbox.enqueue("telegram", PERSON, {"text": "déjà partie", "lang": "fr", "erase_when_done": True}, outbox.clock())
    storage.journal.record([row.id])
    await deliver(outbox)
    async with storage.unit() as repo:
        left = await repo.outbox.get(row.id)
    assert person.sent == []
    assert left is None


async def test_close_with_an_outcome_keeps_it_for_the_report(engine, outbox, room, desk, storage):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "/close 2", thread)
    async with storage.unit() as repo:
        request = await repo.handover.in_thread(thread)
    assert (request.status, request.outcome) == ("closed", "referred")


async def test_close_with_an_outcome_not_in_the_list_shows_the_list_and_closes_nothing(engine, outbox, room, desk, storage):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "/close maybe", thread)
    await deliver(outbox)
    async with storage.unit() as repo:
        assert (await repo.handover.in_thread(thread)).status != "closed"
    assert "/close 1" in room.texts(thread)[-1] and "/close 5" in room.texts(thread)[-1]


async def test_the_first_staff_reply_is_noted_as_the_wait_reports_measure(engine, outbox, room, desk, storage):
    thread = await ask_for_a_person(engine, outbox, room)
    await staff_says(desk, "Bonjour, je suis là", thread)
    await staff_says(desk, "Vous êtes toujours là ?", thread)
    async with storage.unit() as repo:
        request = await repo.handover.in_thread(thread)
    assert request.first_reply_at is not None and request.first_reply_at >= request.created_at


async def test_report_in_the_general_topic_posts_the_periods_summary_with_small_numbers_masked(engine, outbox, room, desk, storage):
    await write(engine, "bonjour, c'est quoi la prep ?")
    report = partial(summary, storage, load_settings())
    message = StaffMessage(SAM, None, f"/report {NOW:%Y-%m}", False)
    await StaffCommands(desk, {SAM: "Sam"}, STAFF_GROUP, report).on_staff_message(message)
    await deliver(outbox)
    [posted] = room.texts(None)
    assert posted.startswith(f"Rapport de la permanence en ligne — Période {NOW:%Y-%m}") and "Personnes: <5" in posted


async def test_report_with_a_period_it_cannot_read_says_what_to_write(desk, outbox, room, storage):
    report = partial(summary, storage, load_settings())
    await StaffCommands(desk, {SAM: "Sam"}, STAFF_GROUP, report).on_staff_message(StaffMessage(SAM, None, "/report last spring", False))
    await deliver(outbox)
    assert "write 2026-03 (a month)" in room.texts(None)[0]
