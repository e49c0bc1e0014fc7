"""The crisis safety layer: phrases that always mean a crisis, whatever the classifier says.

Missing a crisis is the worst mistake the bot can make, and a statistical classifier can miss
a message worded in a way it has never seen. The phrases live in nlu/data/crisis_lexicon.yml
so that the team can add the words people really use.
"""

from collections.abc import Mapping, Sequence

from nlu.phrases import PhraseMatcher


DISTRESS = "distress"
"""The lexicon's list of calls for help ("au secours", "3awnouni"): not a crisis on their own,
but together with the classifier's hint of a crisis they tip the message to the staff."""


class CrisisLexicon:
    def __init__(self, patterns: Mapping[str, Mapping[str, Sequence[str]]]):
        self._order = [intent for intent in patterns if intent != DISTRESS]
        self._matcher = PhraseMatcher(
            (intent, phrase) for intent, by_lang in patterns.items() for phrases in by_lang.values() for phrase in phrases
        )

    def match(self, text: str) -> str | None:
        """The crisis intent whose phrase appears in `text`, or None (the first list wins)."""
        return self.read(text)[0]

    def calls_for_help(self, text: str) -> bool:
        return self.read(text)[1]

    def read(self, text: str) -> tuple[str | None, bool]:
        """The crisis the message names, if any, and whether it calls for help: one pass over its words."""
        found = self._matcher.labels_in(text)
        return next((intent for intent in self._order if intent in found), None), DISTRESS in found
