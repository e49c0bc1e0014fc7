"""The conversation engine: one incoming message in, the bot's replies out.

It knows no channel. It reads the FAQ and the NLU it is given, keeps what it must about the
person in storage, and records statistics without text. Crisis comes first, always.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.engine import language_choice, memory, payloads
from bot.engine.knowledge import Knowledge
from bot.engine.payloads import Action, Payload
from bot.faq.model import Faq
from bot.i18n import Catalogs, Translator
from bot.languages import DEFAULT, LATIN_ARABIC, SPOKEN
from bot.messages import InboundMessage, QuickReply, Reply, StoredReply, reply_to_body
from bot.pseudonym import pseudonym
from bot.storage import Repository, Storage
from bot.storage.models import ERASE_WHEN_DONE, HandoverRequest, User
from handover.queue import URGENT_INTENTS, priority_for, raises, reason_for
from handover.schedule import Schedule, describe
from nlu.context import ACK, COST, NO, WHERE
from nlu.intents import HUMAN_REQUEST
from nlu.parse import Parse
from nlu.protocol import NLUBackend
from nlu.text import arabic_share, has_letters

log = logging.getLogger(__name__)

FALLBACKS_BEFORE_OFFERING_A_PERSON = 2
MAX_QUICK_REPLIES = 5
OPEN_TOPICS = ("services",)
"""Topics whose answers are not sensitive; every other answer is sent discreetly."""
SMALL_TALK = ("greet", "thanks", "goodbye")
CONTEXT = "context"
"""The route of a message read in the light of the conversation: a follow-up, an "ok" after a crisis."""
LATIN, ARABIC_SCRIPT = "latin", "arabic"
SAFETY_CHECK = "safety_check"
SECOND_QUESTION = 0.2
"""A second intent this likely is a second question: its answer is offered as the first button."""
OTHER_LANGUAGES_READ = "en"
"""The language of the bot's replies to someone who writes in a language it does not speak (a
crisis reply included) until they choose one: more of them read English than French."""



@dataclass
class Turn:
    """Everything about the message being handled."""

    repo: Repository
    user: User
    is_new: bool
    message: InboundMessage
    now: datetime
    faq: Faq
    nlu: NLUBackend
    t: Translator
    intent: str | None = None
    route: str = "meta"
    replies: list[Reply] = field(default_factory=list)
    open_request: HandoverRequest | None = None
    """The person's handover still waiting or in a staff member's hands, if any."""

    @property
    def lang(self) -> str:
        return self.t.lang

    @property
    def reading(self) -> str:
        """The FAQ text the person reads: Darija in Latin letters for someone who writes it."""
        return LATIN_ARABIC if self.lang == "ar" and self.user.state.get("script") == LATIN else self.lang

    def say(self, text: str, *quick: QuickReply, discreet: bool = False) -> None:
        self.replies.append(Reply(text, self.lang, tuple(quick[:MAX_QUICK_REPLIES]), discreet))


class StaffSide(Protocol):
    """What the engine tells the staff desk (handover/desk.py), inside the unit of work of the person's message."""

    async def opened(self, repo: Repository, user: User, request: HandoverRequest) -> None: ...

    async def relay_from_person(self, repo: Repository, request: HandoverRequest, text: str, edited: bool = False) -> None: ...

    async def crisis_raised(self, repo: Repository, request: HandoverRequest) -> None: ...

    async def person_forgot(self, repo: Repository, requests: list[HandoverRequest]) -> None: ...

    def wake(self) -> None:
        """Held messages were released: deliver them now."""


class Engine:
    def __init__(
        self,
        storage: Storage,
        knowledge: Knowledge,
        catalogs: Catalogs,
        pseudonym_key: str,
        retention_days: int = 30,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        schedule: Schedule | None = None,
        desk: StaffSide | None = None,
    ):
        """`desk`: the staff side, when the bot runs with one (not in the terminal chat)."""
        self.storage = storage
        self.knowledge = knowledge
        self.catalogs = catalogs
        self.retention_days = retention_days
        self.clock = clock
        self.schedule = schedule
        self.desk = desk
        self._key = pseudonym_key

    @property
    def faq(self) -> Faq:
        return self.knowledge.faq

    def pseudonym_of(self, channel: str, external_id: str) -> str:
        return pseudonym(self._key, channel, external_id)

    async def handle(self, message: InboundMessage) -> list[Reply]:
        """The replies to one message, in one transaction.

        The delivery is noted in that same transaction: a message delivered twice gets no
        second answer, and one whose handling failed is handled when it comes again.
        """
        return await self.storage.transaction(lambda repo: self._handle(repo, message))

    async def handle_stored(self, message: InboundMessage, lease: timedelta) -> list[StoredReply]:
        """A message from the inbox: handled, its row marked done and its replies put in the outbox, in one transaction.

        So a crash after the commit loses no reply (the outbox sends them once `lease` has run
        out), and one before it leaves the row pending, to be handled again from nothing. A row
        another process has handled meanwhile gets no replies.
        """
        return await self.storage.transaction(lambda repo: self._handle_stored(repo, message, lease))

    async def _handle_stored(self, repo: Repository, message: InboundMessage, lease: timedelta) -> list[StoredReply]:
        assert message.inbox_id is not None
        if not await repo.inbox.finish(message.inbox_id, self.clock()):
            log.info("A message another process handled was left.")
            return []
        replies = await self._handle(repo, message)
        bodies = [{**reply_to_body(reply), ERASE_WHEN_DONE: True} for reply in replies]
        ids = await repo.enqueue_replies(message.channel, message.address, bodies, self.clock(), lease)
        return [StoredReply(outbox_id, reply) for outbox_id, reply in zip(ids, replies, strict=True)]

    async def _handle(self, repo: Repository, message: InboundMessage) -> list[Reply]:
        faq, nlu = self.knowledge.pair
        now = self.clock()
        # A message from the inbox: its row, marked done in this transaction, stands for the delivery.
        first = message.inbox_id is not None or message.delivery_id is None
        if not first and not await repo.first_delivery(message.channel, message.delivery_id or "", now):
            log.info("A message delivered a second time was ignored.")
            return []
        arrival = await repo.user_for_message(self.pseudonym_of(message.channel, message.external_id), message.channel, message.address, now)
        user = arrival.user
        if user.blocked_reason:
            return []
        if arrival.has_held and await repo.release_held(user, now) and self.desk is not None:
            self.desk.wake()
        turn = Turn(repo, user, arrival.is_new, message, now, faq, nlu, self.catalogs.translator(user.language))
        if arrival.open_request_id is not None:
            turn.open_request = await repo.request(arrival.open_request_id)
        await self._dispatch(turn)
        await repo.record_event(now, message.channel, turn.lang, turn.intent, turn.route)
        return turn.replies

    async def _dispatch(self, turn: Turn) -> None:
        message = turn.message
        if message.kind == "button" and message.payload:
            await self._button(turn, payloads.parse(message.payload))
        elif message.kind != "text":
            self._unsupported(turn)
        elif not message.text.strip():
            turn.route = "fallback"
            turn.say(turn.t.gettext("Your message is empty. Write your question in a few words, or choose a topic."), *self._menu_buttons(turn))
        elif message.text.strip().startswith("/"):
            await self._command(turn, message.text.strip())
        else:
            await self._text(turn, message.text.strip())

    # --- Text -------------------------------------------------------------------------------

    async def _text(self, turn: Turn, text: str) -> None:
        state = dict(turn.user.state)
        awaiting = state.pop("awaiting", None)
        checked = state.pop(SAFETY_CHECK, None)
        turn.user.state = state
        parse = await turn.nlu.parse(text, lang_hint=turn.user.language)
        self._follow_language(turn, parse)
        self._follow_script(turn, text)
        turn.intent, turn.route = parse.intent, parse.route
        request = turn.open_request
        if request is not None and self.desk is not None:
            await self.desk.relay_from_person(turn.repo, request, text, edited=turn.message.edited)
        if request is not None and request.status == "active" and parse.route != "handover":
            # A person from the team is answering: the bot keeps quiet (commands and crisis still work).
            turn.route = "relay"
            return
        if checked is not None and awaiting == SAFETY_CHECK and parse.route != "handover":
            kind = turn.faq.context.kind_of(text)
            if kind in (NO, ACK):
                await self._safety_answered(turn, safe=kind == ACK, crisis=checked)
                return
        if await self._in_context(turn, parse, text):
            turn.route = CONTEXT
            return
        if parse.lang not in SPOKEN:
            if turn.user.language is None:
                turn.t = self.catalogs.translator(OTHER_LANGUAGES_READ)
            if parse.route != "handover":
                turn.route = "fallback"
                self._languages_spoken(turn)
                if parse.crisis_hint is not None:
                    self._ask_if_safe(turn, parse.crisis_hint)
                return
        if parse.crisis_hint is not None and parse.route == "fallback":
            self._ask_if_safe(turn, parse.crisis_hint)
            return
        if parse.route == "handover":
            await self._handover(turn, parse.intent, text)
        elif parse.route == "answer" and parse.intent in turn.faq.entries:
            self._answer(turn, parse.intent, also=self._second_question(turn, parse))
            if parse.crisis_hint is not None:
                self._ask_if_safe(turn, parse.crisis_hint)
        elif parse.route == "meta":
            await self._meta(turn, parse.intent, text)
        else:
            turn.route = "fallback"
            self._fallback(turn)
        if parse.route != "fallback":
            self._reset_fallbacks(turn)
        if turn.route != "handover" and turn.intent not in URGENT_INTENTS:
            # Never after an emergency: four language buttons under it would bury what to do.
            self._offer_language(turn)

    async def _in_context(self, turn: Turn, parse: Parse, text: str) -> bool:
        """Answer a message that only makes sense after the last reply; False when it stands alone.

        Crisis words always win: "il s'est réveillé mais respire mal" is a new emergency.
        """
        state, context = turn.user.state, turn.faq.context
        crisis = memory.recall_intent(state, memory.CRISIS, turn.now)
        if parse.route == "handover" and parse.safety_rule:
            return False
        if crisis == "crisis.medical" and context.says_it_is_over(text):
            self._emergency_over(turn)
            return True
        if parse.route == "handover":
            return False
        kind = context.kind_of(text)
        last = memory.recall(state, memory.LAST_ANSWER, turn.now)
        if kind in (COST, WHERE) and last is not None and last["intent"] in turn.faq.entries:
            self._follow_up(turn, last["intent"], kind, given=last.get("given", []))
            return True
        unclear = kind == ACK or parse.route == "fallback" or parse.intent in SMALL_TALK
        if crisis is not None and unclear:
            await self._stay_with_the_person(turn)
            return True
        if turn.open_request is not None and (kind == ACK or parse.route == "fallback"):
            await self._request_is_kept(turn)
            return True
        return False

    def _follow_language(self, turn: Turn, parse: Parse) -> None:
        """The first message sets the language; a later one changes it only when clearly in another."""
        user = turn.user
        clear_switch = parse.lang_confidence >= 0.9 and len(parse.text.split()) >= 3
        if parse.lang in SPOKEN and (user.language is None or (parse.lang != user.language and clear_switch)):
            user.language = parse.lang
            user.language_confirmed = False
            user.state = {k: v for k, v in user.state.items() if k != "language_offered"}
            turn.t = self.catalogs.translator(parse.lang)

    def _ask_if_safe(self, turn: Turn, crisis: str) -> None:
        """A crisis half seen (an unclear message, a past violence, an idiom): one kind question, not a menu."""
        t = turn.t
        turn.user.state = {**turn.user.state, "awaiting": SAFETY_CHECK, SAFETY_CHECK: crisis}
        turn.say(
            t.gettext("Are you safe right now?"),
            QuickReply(t.gettext("Yes, I'm safe"), payloads.safe(True, crisis)),
            QuickReply(t.gettext("No"), payloads.safe(False, crisis)),
            QuickReply(t.gettext("Talk to a person"), payloads.HUMAN),
            discreet=True,
        )

    async def _safety_answered(self, turn: Turn, safe: bool, crisis: str) -> None:
        """"No" is a crisis: the emergency contacts and the team, as if the person had said it."""
        turn.user.state = {k: v for k, v in turn.user.state.items() if k not in ("awaiting", SAFETY_CHECK)}
        if safe:
            turn.intent, turn.route = "thanks", "meta"
            turn.say(turn.t.gettext("Thank you for telling me. What can I do for you? Write your question, or choose a topic."), *self._menu_buttons(turn))
            return
        turn.intent, turn.route = crisis, "handover"
        await self._handover(turn, crisis, None)

    def _languages_spoken(self, turn: Turn) -> None:
        """A message in a language the bot does not speak: which it speaks, in English and French, and a person."""
        texts = dict.fromkeys(
            self.catalogs.translator(lang).gettext(
                "I can answer in French, Spanish, Arabic and English. Write to me in one of them, or ask for a person from the team."
            )
            for lang in (turn.lang, OTHER_LANGUAGES_READ, DEFAULT)
        )
        turn.say("\n".join(texts), QuickReply(turn.t.gettext("Talk to a person"), payloads.HUMAN), *language_choice.picker(None)[:4])

    def _follow_script(self, turn: Turn, text: str) -> None:
        """Someone who writes Arabic in Latin letters reads answers in Latin letters, until they choose."""
        state = turn.user.state
        if turn.lang != "ar" or state.get("script_chosen") or not has_letters(text):
            return
        script = LATIN if arabic_share(text) == 0 else ARABIC_SCRIPT
        if state.get("script") != script:
            turn.user.state = {**state, "script": script}

    def _offer_script(self, turn: Turn, entry_id: str) -> None:
        """Once, under the first answer written in Latin letters: Arabic script is a button away."""
        state = turn.user.state
        if turn.reading != LATIN_ARABIC or state.get("script_chosen") or state.get("script_offered"):
            return
        if not turn.faq.entries[entry_id].answer.get(LATIN_ARABIC):
            return
        turn.user.state = {**state, "script_offered": True}
        turn.say(turn.t.gettext("I write to you in Latin letters. Do you prefer Arabic script?"), QuickReply("بالحروف العربية", payloads.script(ARABIC_SCRIPT)))

    def _set_script(self, turn: Turn, script: str) -> None:
        turn.user.state = {**turn.user.state, "script": script, "script_chosen": True}
        turn.intent = "language.change"
        turn.say(turn.t.gettext("Fine, I will answer in {language}.", language=language_choice.IN_SENTENCE["ar"]), *self._menu_buttons(turn))

    def _offer_language(self, turn: Turn) -> None:
        """Once per language, after the answer: 'I answer in X' with the other languages as buttons."""
        user = turn.user
        if user.language_confirmed or user.state.get("language_offered"):
            return
        if any(q.payload.startswith((f"{Action.SCRIPT}:", f"{Action.SAFE}:")) for reply in turn.replies for q in reply.quick_replies):
            return  # one question at a time: the language comes under a later answer
        user.state = {**user.state, "language_offered": True}
        turn.say(
            turn.t.gettext("I answer in {language}. You can choose another language:", language=language_choice.IN_SENTENCE[turn.lang]),
            *language_choice.picker(turn.lang),
        )

    # --- Routes -----------------------------------------------------------------------------

    def _answer(self, turn: Turn, entry_id: str, also: str | None = None) -> None:
        """`also`: the other question of a two-question message, offered first among the buttons."""
        faq, t = turn.faq, turn.t
        entry = faq.entries[entry_id]
        buttons = []
        if entry.more:
            buttons.append(QuickReply(t.gettext("Tell me more"), payloads.more(entry_id)))
        others = [also] if also is not None else []
        others += [other for other in entry.related if other != also][: 3 - len(others)]
        buttons += [QuickReply(faq.title(other, turn.lang), payloads.faq(other)) for other in others]
        buttons.append(QuickReply(t.gettext("Talk to a person"), payloads.HUMAN))
        turn.say(faq.answer(entry_id, turn.reading), *buttons, discreet=entry.topic not in OPEN_TOPICS)
        turn.user.state = memory.remember(turn.user.state, memory.LAST_ANSWER, entry_id, turn.now)
        self._offer_script(turn, entry_id)
        if entry_id in URGENT_INTENTS:
            self._note_serious(turn, entry_id)

    def _second_question(self, turn: Turn, parse: Parse) -> str | None:
        """The other answer a message asks for ("where is the testing, and what are your hours?")."""
        second = next((r for r in parse.ranking[1:2] if r.intent in turn.faq.entries and r.intent != parse.intent), None)
        if second is None or second.confidence < SECOND_QUESTION or second.intent.startswith("crisis."):
            return None
        return second.intent

    def _note_serious(self, turn: Turn, intent: str) -> None:
        """An urgent answer (PEP): the open request, and any made later, carry its priority."""
        self._most_serious(turn, intent)
        if turn.open_request is not None:
            _raise(turn.open_request, intent)

    def _most_serious(self, turn: Turn, intent: str) -> str:
        """The more serious of `intent` and what was seen lately; a serious `intent` is remembered."""
        seen = memory.recall_intent(turn.user.state, memory.SERIOUS, turn.now)
        if seen is not None and priority_for(seen) > priority_for(intent):
            return seen
        if priority_for(intent) > priority_for(HUMAN_REQUEST):
            turn.user.state = memory.remember(turn.user.state, memory.SERIOUS, intent, turn.now)
        return intent

    def _follow_up(self, turn: Turn, entry_id: str, kind: str, given: list[str]) -> None:
        """"How much?" or "where?" about the entry just read: its own answer, never the same text again."""
        faq, t = turn.faq, turn.t
        entry = faq.entries[entry_id]
        follow_up = entry.follow_ups.get(kind)
        turn.intent = entry_id
        if follow_up is not None and follow_up.see is not None:
            self._answer(turn, follow_up.see)
            return
        person = QuickReply(t.gettext("Talk to a person"), payloads.HUMAN)
        if follow_up is None or kind in given:
            turn.say(
                t.gettext("I have told you what I know on this question. A person from the team can give you the details."),
                person,
                self._menu_button(turn),
            )
            return
        buttons = [QuickReply(faq.title(other, turn.lang), payloads.faq(other)) for other in entry.related[:2]]
        turn.say(faq.text(follow_up.text, turn.reading), *buttons, person, discreet=entry.topic not in OPEN_TOPICS)
        turn.user.state = memory.remember(turn.user.state, memory.LAST_ANSWER, entry_id, turn.now, given=[*given, kind])

    def _emergency_over(self, turn: Turn) -> None:
        """"He woke up": what to watch for now, and a person; no more "call 112 now"."""
        t = turn.t
        turn.intent = "crisis.medical"
        turn.user.state = memory.forget(turn.user.state, memory.CRISIS)
        entry = turn.faq.entries.get("crisis.medical")
        over = entry.follow_ups.get("over") if entry else None
        if over is not None and over.text:
            text = turn.faq.text(over.text, turn.reading)
        else:
            text = t.gettext("I'm glad it is better. Stay with the person, and call {number} if it gets worse again.", number=self._fact(turn, "emergency_number"))
        turn.say(text, QuickReply(t.gettext("Talk to a person"), payloads.HUMAN), discreet=True)

    async def _stay_with_the_person(self, turn: Turn) -> None:
        """After a crisis reply, an "ok" or an unclear message gets presence, not a menu."""
        t = turn.t
        status = await self._what_happens_next(turn, turn.open_request) if turn.open_request is not None else ""
        turn.say(
            t.gettext("I'm here.") + (" " + status if status else "") + " "
            + t.gettext("If you are in danger now, call {number}.", number=self._fact(turn, "emergency_number")),
            discreet=True,
        )

    async def _request_is_kept(self, turn: Turn) -> None:
        """A person waiting for the team is told their message is kept, not "I did not understand"."""
        t = turn.t
        request = turn.open_request
        assert request is not None
        status = await self._what_happens_next(turn, request)
        turn.say(t.gettext("Your message is with the team.") + " " + status + self._until_then(turn, crisis=False), self._menu_button(turn))

    def _more(self, turn: Turn, entry_id: str) -> None:
        faq = turn.faq
        entry = faq.entries[entry_id]
        buttons = [QuickReply(faq.title(other, turn.lang), payloads.faq(other)) for other in entry.related[:3]]
        buttons.append(QuickReply(turn.t.gettext("Talk to a person"), payloads.HUMAN))
        turn.say(faq.text(entry.more, turn.reading), *buttons, discreet=entry.topic not in OPEN_TOPICS)

    async def _meta(self, turn: Turn, intent: str, text: str) -> None:
        t = turn.t
        if intent == "greet":
            self._welcome(turn, short=not turn.is_new)
        elif intent == "thanks":
            turn.say(t.gettext("You're welcome. I'm here at any hour if you have another question."), self._menu_button(turn))
        elif intent == "goodbye":
            turn.say(t.gettext("Take care of yourself. You can come back whenever you want."))
        elif intent == "bot.identity":
            turn.say(
                t.gettext(
                    "I'm a bot: my answers are automatic, written and checked by the team. "
                    "A person from the team answers here during the online permanence ({hours})."
                    , hours=self._fact(turn, "hours_online")
                )
                if _filled(turn.faq, "hours_online")
                else t.gettext(
                    "I'm a bot: my answers are automatic, written and checked by the team. "
                    "A person from the team answers here during the online permanence."
                ),
                QuickReply(t.gettext("Talk to a person"), payloads.HUMAN),
                self._menu_button(turn),
            )
        elif intent == "privacy":
            await self._privacy(turn)
        elif intent == "language.change":
            asked = language_choice.asked_language(text)
            if asked:
                self._set_language(turn, asked)
            else:
                turn.say(t.gettext("Which language do you prefer?"), *language_choice.picker(turn.lang))
        else:
            self._fallback(turn)

    async def _handover(self, turn: Turn, intent: str, text: str | None) -> None:
        """Crisis: the emergency contacts first, at any hour. Then the request goes to the team.

        The request carries the most serious thing seen in the conversation: asking for a person
        after the PEP answer keeps the PEP's priority.
        """
        t = turn.t
        crisis = intent.startswith("crisis.")
        if crisis:
            if intent in turn.faq.entries:
                turn.say(turn.faq.answer(intent, turn.reading), discreet=True)
                turn.user.state = memory.remember(turn.user.state, memory.LAST_ANSWER, intent, turn.now)
            else:
                turn.say(t.gettext("If you are in danger now, call {number}.", number=self._fact(turn, "emergency_number")), discreet=True)
            turn.user.state = memory.remember(turn.user.state, memory.CRISIS, intent, turn.now)
        most_serious = self._most_serious(turn, intent)
        buttons = () if crisis else (self._menu_button(turn),)
        request = turn.open_request
        if request is not None:
            if _raise(request, most_serious) and crisis and self.desk is not None:
                await self.desk.crisis_raised(turn.repo, request)
            status = await self._what_happens_next(turn, request)
            kept = t.gettext("A person from the team is following your conversation.") if request.status == "active" else t.gettext("Your message is with the team.")
            turn.say(kept + " " + status + self._until_then(turn, crisis), *buttons)
            return
        request = await turn.repo.add_handover_request(turn.user, reason_for(most_serious), priority_for(most_serious), text, turn.now)
        turn.open_request = request
        if self.desk is not None:
            await self.desk.opened(turn.repo, turn.user, request)
        status = await self._what_happens_next(turn, request)
        meanwhile = "" if crisis else " " + t.gettext("You can keep asking me questions meanwhile.")
        turn.say(t.gettext("I have passed your message to the team.") + " " + status + self._until_then(turn, crisis) + meanwhile, *buttons)

    def _until_then(self, turn: Turn, crisis: bool) -> str:
        """Out of hours, what answers now: for a crisis, the numbers it has just been given."""
        if self.schedule is None or self.schedule.is_open(turn.now):
            return ""
        if crisis:
            return " " + turn.t.gettext("Until then, the numbers above answer at any hour.")
        return " " + turn.t.gettext("If it cannot wait, call {number} in an emergency.", number=self._fact(turn, "emergency_number"))

    async def _what_happens_next(self, turn: Turn, request: HandoverRequest) -> str:
        """Honest about when a person will answer: now, with the queue, or at the next permanence."""
        t = turn.t
        if self.schedule is None:
            if not _filled(turn.faq, "hours_online"):
                return t.gettext("A person will answer you here during the online permanence; your message is kept for them until then.")
            return t.gettext(
                "A person will answer you here during the online permanence ({hours}); your message is kept for them until then.",
                hours=self._fact(turn, "hours_online"),
            )
        if self.schedule.is_open(turn.now):
            ahead = await turn.repo.requests_ahead_of(request)
            queue = (
                t.ngettext("{n} person is waiting before you.", "{n} people are waiting before you.", ahead)
                if ahead
                else t.gettext("You are next.")
            )
            return t.gettext("A member of the team will answer you here.") + " " + queue
        upcoming = self.schedule.next_openings(turn.now, count=1)
        if not upcoming:
            return t.gettext("Nobody from the team is online right now; they will read your message as soon as they can.")
        return t.gettext(
            "Nobody from the team is online right now: they will read your message {when}.",
            when=describe(upcoming[0].start, turn.lang, self.schedule.timezone),
        )

    def _fallback(self, turn: Turn) -> None:
        t = turn.t
        count = int(turn.user.state.get("fallbacks", 0)) + 1
        turn.user.state = {**turn.user.state, "fallbacks": count}
        if count >= FALLBACKS_BEFORE_OFFERING_A_PERSON:
            turn.say(
                t.gettext("I still don't understand, sorry. Do you want a person from the team to answer you?"),
                QuickReply(t.gettext("Talk to a person"), payloads.HUMAN),
                self._menu_button(turn),
            )
            return
        turn.say(
            t.gettext("I'm not sure I understood. I can answer questions on these topics, or you can ask for a person:"),
            *self._menu_buttons(turn),
        )

    def _reset_fallbacks(self, turn: Turn) -> None:
        if turn.user.state.get("fallbacks"):
            turn.user.state = {k: v for k, v in turn.user.state.items() if k != "fallbacks"}

    def _unsupported(self, turn: Turn) -> None:
        t = turn.t
        turn.route = "fallback"
        if turn.message.kind == "voice":
            text = t.gettext("I can only read text: write your question, or ask for a person.")
        else:
            text = t.gettext("I can only read text messages. Write your question in a few words, or choose a topic.")
        turn.say(text, QuickReply(t.gettext("Talk to a person"), payloads.HUMAN), self._menu_button(turn))

    # --- Commands and buttons -----------------------------------------------------------------

    async def _command(self, turn: Turn, text: str) -> None:
        command = text.split()[0].lstrip("/").split("@")[0].lower()
        if command == "start":
            self._welcome(turn, short=False)
            if not turn.user.language_confirmed:
                turn.user.state = {**turn.user.state, "language_offered": True}
                turn.say(turn.t.gettext("Which language do you prefer?"), *language_choice.picker(turn.user.language))
        elif command == "menu":
            self._menu(turn)
        elif command == "language":
            turn.say(turn.t.gettext("Which language do you prefer?"), *language_choice.picker(turn.user.language))
        elif command == "privacy":
            turn.intent = "privacy"
            await self._privacy(turn)
        elif command == "forget":
            self._ask_forget(turn)
        else:
            self._help(turn)

    async def _button(self, turn: Turn, payload: Payload | None) -> None:
        """`payload` is None for an unknown action; it, and an action whose argument is not (or no longer) valid, get the menu."""
        entries = turn.faq.entries
        match payload:
            case Payload(Action.FAQ, entry_id) if entry_id in entries:
                turn.intent, turn.route = entry_id, "answer"
                self._answer(turn, entry_id)
            case Payload(Action.MORE, entry_id) if entry_id in entries and entries[entry_id].more:
                turn.intent, turn.route = entry_id, "answer"
                self._more(turn, entry_id)
            case Payload(Action.TOPIC, topic_id):
                self._topic(turn, topic_id)
            case Payload(Action.LANGUAGE, lang) if lang in SPOKEN:
                self._set_language(turn, lang)
            case Payload(Action.SCRIPT, script) if script in (LATIN, ARABIC_SCRIPT):
                self._set_script(turn, script)
            case Payload(Action.SAFE, answer) if (checked := payloads.checked_crisis(payload)) is not None:
                await self._safety_answered(turn, safe=answer.startswith("yes:"), crisis=checked)
            case Payload(Action.MENU):
                self._menu(turn)
            case Payload(Action.HUMAN):
                turn.intent, turn.route = HUMAN_REQUEST, "handover"
                await self._handover(turn, HUMAN_REQUEST, None)
            case Payload(Action.FORGET, answer):
                await self._forget(turn, confirmed=answer == "yes")
            case _:
                # A button from an older version of the FAQ, or a forged payload.
                turn.say(turn.t.gettext("This button is no longer valid. Here is the menu:"), *self._menu_buttons(turn))

    # --- Sentences ----------------------------------------------------------------------------

    def _welcome(self, turn: Turn, short: bool) -> None:
        t = turn.t
        turn.intent = "greet"
        if short:
            turn.say(t.gettext("Hello! What can I do for you? Write your question, or choose a topic."), *self._menu_buttons(turn))
            return
        turn.say(
            t.gettext(
                "Hello, welcome! I'm the outreach team's bot. I answer questions about health, PrEP, testing, "
                "drugs, your rights and our services, at any hour, in French, Spanish, Arabic and English.\n"
                "Your messages are confidential: /privacy explains what is kept.\n"
                "In an emergency, call {number}."
                , number=self._fact(turn, "emergency_number")
            ),
            *self._menu_buttons(turn),
        )

    def _help(self, turn: Turn) -> None:
        t = turn.t
        turn.say(
            t.gettext(
                "Write your question in your own words, in French, Spanish, Arabic or English. You can also use:\n"
                "/menu: the topics\n/language: change the language\n/privacy: what is kept about you\n"
                "/forget: erase everything about you"
            ),
            *self._menu_buttons(turn),
        )

    def _menu(self, turn: Turn) -> None:
        turn.say(turn.t.gettext("Choose a topic:"), *self._menu_buttons(turn, limit=None))

    def _topic(self, turn: Turn, topic_id: str) -> None:
        faq = turn.faq
        topic = next((x for x in faq.topics if x.id == topic_id), None)
        if topic is None:
            self._menu(turn)
            return
        buttons = [QuickReply(faq.title(entry_id, turn.lang), payloads.faq(entry_id)) for entry_id in topic.entry_ids]
        # Not the topic's title: "Drogues" on a locked screen would say too much.
        turn.replies.append(Reply(turn.t.gettext("Choose a question:"), turn.lang, tuple(buttons)))

    def _menu_buttons(self, turn: Turn, limit: int | None = 3) -> list[QuickReply]:
        topics = turn.faq.menu()
        shown = topics if limit is None else topics[:limit]
        buttons = [QuickReply(turn.faq.text(topic.title, turn.lang), payloads.topic(topic.id)) for topic in shown]
        if limit is not None and len(topics) > limit:
            buttons.append(QuickReply(turn.t.gettext("All topics"), payloads.MENU))
        if limit is not None:
            buttons.append(QuickReply(turn.t.gettext("Talk to a person"), payloads.HUMAN))
        return buttons

    def _menu_button(self, turn: Turn) -> QuickReply:
        return QuickReply(turn.t.gettext("Menu"), payloads.MENU)

    def _set_language(self, turn: Turn, lang: str) -> None:
        turn.user.language = lang
        turn.user.language_confirmed = True
        turn.t = self.catalogs.translator(lang)
        turn.intent = "language.change"
        turn.say(turn.t.gettext("Fine, I will answer in {language}.", language=language_choice.IN_SENTENCE[lang]), *self._menu_buttons(turn))

    async def _privacy(self, turn: Turn) -> None:
        t = turn.t
        waiting = len(await turn.repo.open_handover_requests(turn.user))
        requests = t.ngettext(
            "You have {n} request with the team at the moment.", "You have {n} requests with the team at the moment.", waiting
        )
        turn.say(
            (requests + "\n" if waiting else "")
            + t.gettext(
                "What the bot keeps about you: a code name ({pseudonym}), your language, when you first and last wrote, "
                "and, if you ask for a person, your message for the team. Never your name, your number or your username.\n"
                "Statistics keep only the topic, the language and the time: no text, nothing that points to you.\n"
                "Who reads your messages: only the team's staff, when you ask for a person. "
                "Messages for the team are erased {days} days after the conversation is closed.\n"
                "/forget erases everything now, except those statistics (an emergency among them), which point to no one."
                , pseudonym=turn.user.pseudonym, days=self.retention_days
            ),
            QuickReply(t.gettext("Erase everything"), payloads.FORGET_ASK),
            self._menu_button(turn),
        )

    def _ask_forget(self, turn: Turn) -> None:
        t = turn.t
        turn.user.state = {**turn.user.state, "awaiting": "forget"}
        turn.say(
            t.gettext("This erases everything the bot keeps about you, including your requests to the team. Are you sure?"),
            QuickReply(t.gettext("Yes, erase everything"), payloads.FORGET_YES),
            QuickReply(t.gettext("No, keep it"), payloads.FORGET_NO),
        )

    async def _forget(self, turn: Turn, confirmed: bool) -> None:
        t = turn.t
        if not confirmed or turn.user.state.get("awaiting") != "forget":
            if not confirmed and turn.user.state.get("awaiting") == "forget":
                turn.user.state = {k: v for k, v in turn.user.state.items() if k != "awaiting"}
                turn.say(t.gettext("Nothing was erased."), self._menu_button(turn))
            else:
                self._ask_forget(turn)
            return
        if self.desk is not None:
            await self.desk.person_forgot(turn.repo, await turn.repo.open_handover_requests(turn.user))
        await turn.repo.forget(turn.user)
        turn.intent = "forget"
        turn.say(t.gettext("Done: everything the bot kept about you is erased. If you write again, it starts from zero."))

    def _fact(self, turn: Turn, name: str) -> str:
        fact = turn.faq.facts.get(name)
        return fact.text(turn.lang) if fact else ""


def _raise(request: HandoverRequest, intent: str) -> bool:
    """Give the request `intent`'s reason and priority when that is more serious (handover/queue.py)."""
    if not raises(request.priority, request.reason, intent):
        return False
    request.priority, request.reason = priority_for(intent), reason_for(intent)
    return True


def _filled(faq: Faq, name: str) -> bool:
    fact = faq.facts.get(name)
    return fact is not None and fact.filled
