"""The questions the bot could not answer well, kept for the FAQ editors: what to add next.

Only what fell back, or was answered with little confidence, and only scrubbed: a phone
number, an e-mail address, a link, a name given after "je m'appelle", "me llamo" or "ismi", and
any long run of digits are replaced BEFORE the text is stored, so the editors read the question,
not the person. They are kept UNANSWERED_DAYS (handover/jobs.py) and erased by /forget.
"""

import re

from bot.engine.turn import Turn
from bot.storage.unanswered import Unanswered
from nlu.intents import Route
from nlu.parse import Parse

LOW_CONFIDENCE = 0.45
"""An answer given under this confidence (the answer threshold is 0.30) may well be the wrong one."""

_INTRODUCTION = r"(?:je m['’]appelle|moi c['’]est|mon (?:pr[ée])?nom est|me llamo|mi nombre es|my name is|i am called|ismi|esmi|smiti|اسمي|انا اسمي)"
_SCRUBBERS = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[e-mail]"),
    (re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|be|org|net|fr|es|ma|dz|tn|eu|io|me|ly|info)\b(?:/\S*)?", re.IGNORECASE), "[link]"),
    (re.compile(r"\+?\d[\d\s().-]{6,}\d"), "[phone]"),
    (re.compile(r"\d{5,}"), "[number]"),
)
_NAME = re.compile(rf"({_INTRODUCTION})\s+[^\s,.;:!?]+(?:\s+(?-i:[A-ZÀ-Ý])[^\s,.;:!?]*)?", re.IGNORECASE)
"""A name given in the message: the introduction stays (it says how the person spoke), the name goes."""


def scrub(text: str) -> str:
    """The question without what could say who wrote it."""
    for pattern, mark in _SCRUBBERS:
        text = pattern.sub(mark, text)
    return _NAME.sub(r"\1 [name]", text)


def worth_keeping(parse: Parse, route: Route) -> bool:
    return route == Route.FALLBACK or (route == Route.ANSWER and parse.confidence < LOW_CONFIDENCE)


async def note(turn: Turn, parse: Parse, text: str) -> None:
    if worth_keeping(parse, turn.route):
        question = Unanswered(turn.now, turn.lang, parse.intent, parse.confidence, scrub(text))
        await turn.repo.unanswered.add(turn.user, question)
