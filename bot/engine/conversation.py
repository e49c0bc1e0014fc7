"""The conversation engine: one incoming message in, the bot's replies out.

It knows no channel. It reads the FAQ and the NLU it is given, keeps what it must about the
person in storage, and records statistics without text. Crisis comes first, always.

This module runs a message through one transaction and sends it where its kind says: a button,
a command, text (bot/engine/routing.py). What each reply says is decided in the modules beside it.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.engine import answers, campaigns, crisis, language_choice, menus, numbered, payloads, privacy, routing
from bot.engine.fallback import empty, unsupported
from bot.engine.knowledge import Knowledge
from bot.engine.payloads import Action, Payload
from bot.engine.staff import StaffSide
from bot.engine.turn import ARABIC_SCRIPT, LATIN, Turn
from bot.faq.model import Faq
from bot.i18n import Catalogs
from bot.languages import SPOKEN
from bot.messages import InboundMessage, Reply, StoredReply, reply_to_body
from bot.pseudonym import pseudonym
from bot.storage import Repository, Storage
from bot.storage.models import ERASE_WHEN_DONE
from bot.storage.statistics import Visit
from handover.schedule import Schedule
from nlu.intents import HUMAN_REQUEST, Route

log = logging.getLogger(__name__)


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
        unanswered_days: int = 30,
    ):
        """`desk`: the staff side, when the bot runs with one (not in the terminal chat). `unanswered_days`: said in /privacy."""
        self.storage = storage
        self.knowledge = knowledge
        self.catalogs = catalogs
        self.retention_days = retention_days
        self.unanswered_days = unanswered_days
        self.clock = clock
        self.schedule = schedule
        self.desk = desk
        self._key = pseudonym_key
        self.zone = schedule.timezone if schedule is not None else UTC
        """Where the reports' months begin: the permanence's timezone."""

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
        ids = await repo.outbox.enqueue_replies(message.channel, message.address, bodies, self.clock(), lease)
        return [StoredReply(outbox_id, reply) for outbox_id, reply in zip(ids, replies, strict=True)]

    async def _handle(self, repo: Repository, message: InboundMessage) -> list[Reply]:
        faq, nlu = self.knowledge.pair
        now = self.clock()
        # A message from the inbox: its row, marked done in this transaction, stands for the delivery.
        first = message.inbox_id is not None or message.delivery_id is None
        if not first and not await repo.first_delivery(message.channel, message.delivery_id or "", now):
            log.info("A message delivered a second time was ignored.")
            return []
        arrival = await repo.people.arrive(self.pseudonym_of(message.channel, message.external_id), message.channel, message.address, now)
        user = arrival.user
        if user.blocked_reason:
            return []
        if arrival.has_held and await repo.outbox.release_held(user, now) and self.desk is not None:
            self.desk.wake()
        message = numbered.picked(message, user)
        if arrival.is_new:
            message, source = campaigns.arrived_from(message)
            if source is not None:
                user.state = {**user.state, campaigns.STATE_KEY: source}
        visit = Visit(user.pseudonym, arrival.is_new, self.schedule.is_open(now) if self.schedule else None, user.state.get(campaigns.STATE_KEY))
        turn = Turn(
            repo, user, arrival.is_new, message, now, faq, nlu, self.catalogs.translator(user.language),
            catalogs=self.catalogs, schedule=self.schedule, desk=self.desk, retention_days=self.retention_days,
            unanswered_days=self.unanswered_days,
        )
        if arrival.open_request_id is not None:
            turn.open_request = await repo.handover.get(arrival.open_request_id)
        await self._dispatch(turn)
        await repo.stats.record(now, message.channel, turn.lang, turn.intent, turn.route, visit, self.zone)
        return numbered.numbered(turn.replies, user, turn.t) if message.numbered else turn.replies

    async def _dispatch(self, turn: Turn) -> None:
        message = turn.message
        text = message.text.strip()
        if message.kind == "button" and message.payload:
            await _button(turn, payloads.parse(message.payload))
        elif message.kind != "text":
            unsupported(turn)
        elif not text:
            empty(turn)
        elif text.startswith("/"):
            await _command(turn, text)
        else:
            await routing.read(turn, text)


async def _command(turn: Turn, text: str) -> None:
    match text.split()[0].lstrip("/").split("@")[0].lower():
        case "start":
            answers.welcome(turn, short=False)
            if not turn.user.language_confirmed:
                turn.user.state = {**turn.user.state, "language_offered": True}
                language_choice.ask_which(turn, turn.user.language)
        case "menu":
            menus.menu(turn)
        case "language":
            language_choice.ask_which(turn, turn.user.language)
        case "privacy":
            turn.intent = "privacy"
            await privacy.privacy(turn)
        case "forget":
            privacy.ask_forget(turn)
        case _:
            answers.help_(turn)


async def _button(turn: Turn, payload: Payload | None) -> None:
    """`payload` is None for an unknown action; it, and an action whose argument is not (or no longer) valid, get the menu."""
    entries = turn.faq.entries
    match payload:
        case Payload(Action.FAQ, entry_id) if entry_id in entries:
            turn.intent, turn.route = entry_id, Route.ANSWER
            answers.answer(turn, entry_id)
        case Payload(Action.MORE, entry_id) if entry_id in entries and entries[entry_id].more:
            turn.intent, turn.route = entry_id, Route.ANSWER
            answers.more(turn, entry_id)
        case Payload(Action.TOPIC, topic_id):
            menus.topic(turn, topic_id)
        case Payload(Action.LANGUAGE, lang) if lang in SPOKEN:
            language_choice.set_language(turn, lang)
        case Payload(Action.SCRIPT, script) if script in (LATIN, ARABIC_SCRIPT):
            language_choice.set_script(turn, script)
        case Payload(Action.SAFE, answer) if (checked := payloads.checked_crisis(payload)) is not None:
            await crisis.safety_answered(turn, safe=answer.startswith("yes:"), crisis=checked)
        case Payload(Action.MENU):
            menus.menu(turn)
        case Payload(Action.HUMAN):
            turn.intent, turn.route = HUMAN_REQUEST, Route.HANDOVER
            await crisis.raise_handover(turn, HUMAN_REQUEST, None)
        case Payload(Action.FORGET, answer):
            await privacy.forget(turn, confirmed=answer == "yes")
        case _:
            # A button from an older version of the FAQ, or a forged payload.
            turn.say(turn.t.gettext("This button is no longer valid. Here is the menu:"), *menus.menu_buttons(turn))
