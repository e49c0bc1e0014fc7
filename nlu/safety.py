"""The crisis safety layer: phrases that always mean a crisis, whatever the classifier says.

Missing a crisis is the worst mistake the bot can make, and a statistical classifier can miss
a message worded in a way it has never seen. The phrases live in nlu/data/crisis_lexicon.yml
so that the team can add the words people really use.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nlu.phrases import PhraseMatcher

PAST, HYPOTHETICAL, AHEAD, NOW, IDIOM = "past", "hypothetical", "ahead", "now", "idiom"
SOFTENING = (PAST, HYPOTHETICAL, AHEAD, NOW, IDIOM)
"""The lexicon's lists that soften a crisis phrase: a violence in the past or in a "what if" asked about
("si un jour un client me frappe, je peux porter plainte ?"), or an idiom ("ce client va me tuer mdr",
"je meurs de faim"), never a medical emergency; and a question asked ahead, to know what to do one day
("que faire si quelqu'un respire mal avec le G ? je veux savoir avant samedi"), a medical one too."""
VIOLENCE, MEDICAL = "crisis.violence", "crisis.medical"
_LAUGHING_EMOJI = re.compile("[\U0001F602\U0001F923\U0001F639\U0001F606\U0001F605\U0001F604]")

DISTRESS = "distress"
"""The lexicon's list of calls for help ("au secours", "3awnouni"): not a crisis on their own,
but together with the classifier's hint of a crisis they tip the message to the staff."""


@dataclass(frozen=True)
class Reading:
    crisis: str | None
    """The crisis the message names, if any."""
    calls_for_help: bool
    softened: str | None = None
    """A crisis phrase that is not one here: a past violence asked about, or an idiom."""
    past: bool = False
    """The message speaks of a violence in the past or in a "what if", and of nothing happening today."""
    idiom: bool = False
    """Laughter, or words that make a death phrase an idiom ("de faim", "de rire")."""
    ahead: bool = False
    """The person asks ahead, to know what to do if it happens one day, and says nothing happens now."""


class CrisisLexicon:
    def __init__(self, patterns: Mapping[str, Mapping[str, Sequence[str]]]):
        self._order = [intent for intent in patterns if intent != DISTRESS and intent not in SOFTENING]
        self._matcher = PhraseMatcher(
            (intent, phrase) for intent, by_lang in patterns.items() for phrases in by_lang.values() for phrase in phrases
        )

    def match(self, text: str) -> str | None:
        """The crisis intent whose phrase appears in `text`, or None (the first list wins)."""
        return self.read(text).crisis

    def calls_for_help(self, text: str) -> bool:
        return self.read(text).calls_for_help

    def read(self, text: str) -> Reading:
        """What the lexicon says of a message, in one pass over its words."""
        found = self._matcher.labels_in(text)
        crisis = next((intent for intent in self._order if intent in found), None)
        idiom = IDIOM in found or _LAUGHING_EMOJI.search(text) is not None
        past = (PAST in found or HYPOTHETICAL in found) and NOW not in found
        ahead = AHEAD in found and NOW not in found
        if crisis is not None and (ahead or crisis != MEDICAL and (idiom or (past and crisis == VIOLENCE))):
            return Reading(None, DISTRESS in found, softened=crisis, past=past, idiom=idiom, ahead=ahead)
        return Reading(crisis, DISTRESS in found, past=past, idiom=idiom, ahead=ahead)
