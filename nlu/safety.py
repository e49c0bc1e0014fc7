"""The crisis safety layer: phrases that always mean a crisis, whatever the classifier says.

Missing a crisis is the worst mistake the bot can make, and a statistical classifier can miss
a message worded in a way it has never seen. The phrases live in nlu/data/crisis_lexicon.yml
so that the team can add the words people really use.
"""

import re
from collections.abc import Mapping, Sequence

from nlu.text import arabic_share, normalise

_ARABIC_PREFIXES = "(?:و|ف|ب|ل|ك|ال|وال|فال|بال|لل|وب|ول)?"


DISTRESS = "distress"
"""The lexicon's list of calls for help ("au secours", "3awnouni"): not a crisis on their own,
but together with the classifier's hint of a crisis they tip the message to the staff."""


class CrisisLexicon:
    def __init__(self, patterns: Mapping[str, Mapping[str, Sequence[str]]]):
        self._rules: list[tuple[str, re.Pattern[str]]] = []
        self._distress: re.Pattern[str] | None = None
        for intent, by_lang in patterns.items():
            rule = phrase_rule([p for phrases in by_lang.values() for p in phrases])
            if rule is None:
                continue
            if intent == DISTRESS:
                self._distress = rule
            else:
                self._rules.append((intent, rule))

    def match(self, text: str) -> str | None:
        """The crisis intent whose phrase appears in `text`, or None."""
        normalised = normalise(text)
        for intent, rule in self._rules:
            if rule.search(normalised):
                return intent
        return None

    def calls_for_help(self, text: str) -> bool:
        return self._distress is not None and self._distress.search(normalise(text)) is not None


def phrase_rule(phrases: Sequence[str]) -> re.Pattern[str] | None:
    """One regex for a list of lexicon phrases (whole words, `*` endings, Arabic prefixes)."""
    alternatives = sorted({_phrase_regex(p) for p in phrases if normalise(p.rstrip("*"))})
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def _phrase_regex(phrase: str) -> str:
    parts = []
    for word in phrase.split():
        open_ending = word.endswith("*")
        core = r"\s+".join(re.escape(w) for w in normalise(word.rstrip("*")).split())
        if not core:
            continue
        if arabic_share(word) > 0:
            core = _ARABIC_PREFIXES + core
        parts.append(core + (r"\w*" if open_ending else ""))
    return r"\s+".join(parts)
