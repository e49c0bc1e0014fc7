"""Short messages that only make sense after the bot's last reply.

"How much?", "where exactly?", "bch7al?", "ok", "he woke up": on their own these say nothing a
classifier can use, and guessing gives a random answer. Read in the light of the conversation
they are clear, so the engine asks this module what kind of follow-up a message is, and answers
it about the topic just discussed. The words live in nlu/data/context_phrases.yml.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from nlu.phrases import PhraseMatcher
from nlu.text import normalise

COST, WHERE, ACK, NO, OVER = "cost", "where", "ack", "no", "over"
WORD_KINDS = (COST, WHERE, ACK, NO)
"""Kinds recognised word by word: the whole message is made of their words and filler."""
FILLER = "filler"
MAX_WORDS = 8
"""A longer message is a question of its own, for the classifier."""

_WORDS = re.compile(r"[\s']+")


@dataclass(frozen=True)
class ContextPhrases:
    words: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Normalised words of each word kind, and of the filler that may surround them."""
    over: PhraseMatcher | None = None
    """Phrases saying that an emergency is over ("il s'est réveillé")."""

    @classmethod
    def from_lists(cls, lists: Mapping[str, Mapping[str, Sequence[str]]]) -> "ContextPhrases":
        words = {
            kind: frozenset(w for phrases in lists.get(kind, {}).values() for p in phrases for w in _split(p))
            for kind in (*WORD_KINDS, FILLER)
        }
        over = [p for phrases in lists.get(OVER, {}).values() for p in phrases]
        return cls(words, PhraseMatcher((OVER, p) for p in over) if over else None)

    def kind_of(self, text: str) -> str | None:
        """COST, WHERE, ACK or NO when the whole message is one of them; None for anything else."""
        tokens = _split(text)
        if not tokens:
            return ACK if text.strip() else None
        if len(tokens) > MAX_WORDS:
            return None
        known = {kind: set(tokens) & self.words.get(kind, frozenset()) for kind in WORD_KINDS}
        allowed = set().union(*self.words.values()) if self.words else set()
        if not set(tokens) <= allowed:
            return None
        questions = [kind for kind in (COST, WHERE) if known[kind] - self.words.get(FILLER, frozenset())]
        if len(questions) == 1:
            return questions[0]
        if questions:
            return None
        if known[NO]:
            return NO
        return ACK if known[ACK] else None

    def says_it_is_over(self, text: str) -> bool:
        return self.over is not None and bool(self.over.labels_in(text))


def _split(text: str) -> list[str]:
    return [w for w in _WORDS.split(normalise(text)) if w]
