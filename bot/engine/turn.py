"""The message being handled, and what the engine handles it with.

Every decision of the engine is a function of a Turn: it reads the person, the message and the
FAQ from it, and leaves on it the intent, the route and the replies.
"""

from dataclasses import dataclass, field
from datetime import datetime

from bot.engine.staff import StaffSide
from bot.faq.model import Faq
from bot.i18n import Catalogs, Translator
from bot.languages import LATIN_ARABIC
from bot.messages import InboundMessage, QuickReply, Reply
from bot.storage import Repository
from bot.storage.models import HandoverRequest, User
from handover.schedule import Schedule
from nlu.intents import Route
from nlu.protocol import NLUBackend

MAX_QUICK_REPLIES = 5
LATIN, ARABIC_SCRIPT = "latin", "arabic"
"""The scripts someone reads Arabic in (the person's state "script")."""


@dataclass
class Turn:
    repo: Repository
    user: User
    is_new: bool
    message: InboundMessage
    now: datetime
    faq: Faq
    nlu: NLUBackend
    t: Translator
    catalogs: Catalogs
    schedule: Schedule | None
    """When the team is online; None when the bot runs without one (it then says "during the online permanence")."""
    desk: StaffSide | None
    """The staff side, when the bot runs with one (not in the terminal chat)."""
    retention_days: int
    unanswered_days: int = 30
    """How long a question the bot could not answer is kept (bot/engine/unanswered.py)."""
    intent: str | None = None
    route: Route = Route.META
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

    def speak(self, lang: str) -> None:
        """Reply in `lang` from now on."""
        self.t = self.catalogs.translator(lang)

    def say(self, text: str, *quick: QuickReply, discreet: bool = False) -> None:
        self.replies.append(Reply(text, self.lang, tuple(quick[:MAX_QUICK_REPLIES]), discreet))

    def fact(self, name: str) -> str:
        """A fact of the FAQ (the emergency number, the hours) in the person's language; empty when there is none."""
        fact = self.faq.facts.get(name)
        return fact.text(self.lang) if fact else ""

    def has_fact(self, name: str) -> bool:
        fact = self.faq.facts.get(name)
        return fact is not None and fact.filled
