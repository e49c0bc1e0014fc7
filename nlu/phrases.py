"""Finding lexicon phrases in a message, word by word.

The crisis lexicon holds well over a thousand phrases. One regular expression with an alternative
per phrase tries every phrase at every character: 10 ms and more for a long message. Here each
phrase is indexed by its first word, so a message costs one dictionary look-up per word, plus a
check of the few phrases that start with that word.

How a phrase matches (what the lexicon's header promises the team):
- whole words, after nlu.text.normalise (case, accents, Arabic spellings folded); an apostrophe
  separates words;
- a word ending in * accepts any ending ("suicid*");
- an Arabic word also matches with و ف ب ل ك ال وال فال بال لل وب ول in front of it;
- the words of a phrase follow each other in the message.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from nlu.text import arabic_share, normalise

ARABIC_PREFIXES = ("", "و", "ف", "ب", "ل", "ك", "ال", "وال", "فال", "بال", "لل", "وب", "ول")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class _Word:
    forms: tuple[str, ...]
    """The word as written, and with each Arabic prefix when it is Arabic."""
    open_ending: bool

    def matches(self, token: str) -> bool:
        if self.open_ending:
            return token.startswith(self.forms)
        return token in self.forms


def words_of(text: str) -> list[str]:
    """The words of a text as the matcher sees them (normalised, apostrophes separating)."""
    return _WORD.findall(normalise(text))


def _pattern(phrase: str) -> tuple[_Word, ...]:
    words: list[_Word] = []
    for written in phrase.split():
        open_ending = written.endswith("*")
        parts = words_of(written.rstrip("*"))
        for index, part in enumerate(parts):
            forms = tuple(p + part for p in ARABIC_PREFIXES) if arabic_share(part) > 0 else (part,)
            words.append(_Word(forms, open_ending and index == len(parts) - 1))
    return tuple(words)


Pattern = tuple[_Word, ...]


Entry = tuple[str, Pattern]


@dataclass
class _FirstWord:
    """The phrases that start with one word, split by their second word: "me" starts a hundred phrases
    in six languages, and a message with "me" in it need only check those whose next word follows."""

    by_second: dict[str, dict[Entry, None]] = field(default_factory=lambda: defaultdict(dict))
    others: dict[Entry, None] = field(default_factory=dict)
    """One-word phrases, and those whose second word has an open ending."""

    def add(self, entry: Entry) -> None:
        pattern = entry[1]
        second = pattern[1] if len(pattern) > 1 else None
        if second is None or second.open_ending:
            self.others[entry] = None
            return
        for form in second.forms:
            self.by_second[form][entry] = None


class PhraseMatcher:
    """Phrases, each with a label (the crisis it means): which labels occur in a message."""

    def __init__(self, labelled: Iterable[tuple[str, str]]):
        self._exact: dict[str, _FirstWord] = defaultdict(_FirstWord)
        self._open: dict[str, dict[Entry, None]] = defaultdict(dict)
        """Phrases whose first word has an open ending ("suicid*"), by that word's stem ("suicid"): a token
        looks up each of its beginnings, and finds only the phrases whose first word it matches."""
        self._longest_stem = 0
        for label, phrase in labelled:
            pattern = _pattern(phrase)
            if not pattern:
                continue
            first = pattern[0]
            for form in first.forms:
                if first.open_ending:
                    self._open[form][(label, pattern)] = None
                    self._longest_stem = max(self._longest_stem, len(form))
                else:
                    self._exact[form].add((label, pattern))

    def __bool__(self) -> bool:
        return bool(self._exact or self._open)

    def labels_in(self, text: str) -> set[str]:
        tokens = words_of(text)
        found: set[str] = set()
        exact, opened, longest = self._exact, self._open, self._longest_stem
        for index, token in enumerate(tokens):
            first = exact.get(token)
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            candidates = [first.others, first.by_second.get(following) if following is not None else None] if first else []
            candidates += [opened.get(token[:length]) for length in range(1, min(len(token), longest) + 1)]
            for entries in candidates:
                if not entries:
                    continue
                for label, pattern in entries:
                    if label in found or index + len(pattern) > len(tokens):
                        continue
                    if all(word.matches(tokens[index + i]) for i, word in enumerate(pattern[1:], 1)):
                        found.add(label)
        return found
