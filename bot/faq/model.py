"""The FAQ as the rest of the bot sees it: validated, immutable, with placeholders filled in."""

import re
from dataclasses import dataclass, field
from datetime import date

from bot.bidi import isolate_ltr
from bot.languages import DEFAULT, LATIN_ARABIC, SPOKEN
from nlu.context import ContextPhrases

TEXT_KEYS = (*SPOKEN, LATIN_ARABIC)
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")
_BULLET = re.compile(r"[\s•:\-–]+")

Texts = dict[str, str]
"""Text by language code."""


def available(texts: Texts, lang: str) -> str:
    """`lang`, except LATIN_ARABIC where there is no Latin-letter text: then Arabic script."""
    return "ar" if lang == LATIN_ARABIC and not texts.get(lang) else lang


def written_in(texts: Texts, lang: str) -> str:
    """The language of `texts` a reader of `lang` gets: theirs, Arabic script for Latin letters, else French."""
    lang = available(texts, lang)
    return lang if texts.get(lang) else DEFAULT


@dataclass(frozen=True)
class Fact:
    name: str
    value: Texts
    """By language; the key "*" holds a value shared by every language. Empty until the team fills it in."""
    source: str
    to_check: bool
    until_filled: Texts = field(default_factory=dict)
    """What the bot says in its place while `value` is empty: a safe sentence, never a bracketed gap."""

    @property
    def filled(self) -> bool:
        return bool(self.value)

    def text(self, lang: str) -> str:
        texts = self.value or self.until_filled
        lang = available(texts, lang)
        return texts.get(lang) or texts.get("*") or texts.get(DEFAULT, "")


FOLLOW_UP_KINDS = ("cost", "where", "over")
"""The short follow-ups an entry can answer: "how much?", "where?", and "it's over" after an emergency."""


@dataclass(frozen=True)
class FollowUp:
    """The answer to a follow-up: another entry (`see`), or a text of its own."""

    see: str | None = None
    text: Texts = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    id: str
    topic: str
    title: Texts
    answer: Texts
    more: Texts
    examples: dict[str, tuple[str, ...]]
    related: tuple[str, ...]
    sources: tuple[str, ...]
    reviewed_on: date | None
    reviewed_by: str
    review_due: date | None
    follow_ups: dict[str, FollowUp] = field(default_factory=dict)


@dataclass(frozen=True)
class Topic:
    id: str
    title: Texts
    order: int
    entry_ids: tuple[str, ...]


@dataclass(frozen=True)
class IntentExamples:
    """Training examples of an intent that has no FAQ entry (meta, handover, out of scope)."""

    id: str
    examples: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Snippet:
    """A saved reply that staff send by name in a conversation (faq/snippets.yml), in the person's language."""

    name: str
    text: Texts
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Faq:
    topics: tuple[Topic, ...]
    entries: dict[str, Entry]
    facts: dict[str, Fact]
    extra_examples: tuple[IntentExamples, ...] = ()
    crisis_lexicon: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    context: ContextPhrases = field(default_factory=ContextPhrases)
    snippets: dict[str, Snippet] = field(default_factory=dict)

    def fill(self, text: str, lang: str) -> str:
        """Replace {placeholders} with organisation facts; Arabic gets bidi isolation.

        A sentence that needs a fact the team has not filled in yet is left out, and the fact's
        `until_filled` sentence comes at the end instead: a person never reads a gap like
        "[address: to be filled in]", nor half a sentence around one.
        """
        kept_lines, missing = [], []
        for line in text.split("\n"):
            kept = []
            for sentence in _SENTENCE_END.split(line):
                gaps = [n for n in PLACEHOLDER.findall(sentence) if n in self.facts and not self.facts[n].filled]
                if gaps:
                    missing += [n for n in gaps if n not in missing]
                else:
                    kept.append(sentence)
            if kept and _BULLET.sub("", " ".join(kept)):
                kept_lines.append(" ".join(kept))
            elif not line.strip():
                kept_lines.append(line)
        if missing:
            notes = [self.facts[n].text(lang) for n in missing]
            kept_lines.append(" ".join(dict.fromkeys(n for n in notes if n)))
        filled = PLACEHOLDER.sub(lambda m: self.facts[m.group(1)].text(lang), "\n".join(kept_lines).strip())
        return isolate_ltr(filled) if lang == "ar" else filled

    def text(self, texts: Texts, lang: str) -> str:
        """The text in `lang` (or LATIN_ARABIC), falling back to Arabic script, then French."""
        chosen = written_in(texts, lang)
        return self.fill(texts.get(chosen, "").strip(), chosen)

    def answer(self, entry_id: str, lang: str) -> str:
        return self.text(self.entries[entry_id].answer, lang)

    def title(self, entry_id: str, lang: str) -> str:
        return self.text(self.entries[entry_id].title, lang)

    def examples(self) -> list[tuple[str, str, str]]:
        """Every training example as (text, language, intent)."""
        sources = [(e.id, e.examples) for e in self.entries.values()]
        sources += [(x.id, x.examples) for x in self.extra_examples]
        return [(text, lang, intent) for intent, by_lang in sources for lang, texts in by_lang.items() for text in texts]

    def menu(self) -> tuple[Topic, ...]:
        """Topics in menu order, emergencies excluded (they are reached by what people write)."""
        return tuple(t for t in self.topics if not all(i.startswith("crisis.") for i in t.entry_ids))
