"""The FAQ as the rest of the bot sees it: validated, immutable, with placeholders filled in."""

import re
from dataclasses import dataclass, field
from datetime import date

from bot.bidi import isolate_ltr

LANGUAGES = ("fr", "es", "ar", "en")
REQUIRED_LANGUAGES = ("fr", "es", "ar")
FALLBACK_LANGUAGE = "fr"
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")

Texts = dict[str, str]
"""Text by language code."""


@dataclass(frozen=True)
class Fact:
    name: str
    value: Texts
    """By language; the key "*" holds a value shared by every language."""
    source: str
    to_check: bool

    def text(self, lang: str) -> str:
        return self.value.get(lang) or self.value.get("*") or self.value.get(FALLBACK_LANGUAGE, "")


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
class Faq:
    topics: tuple[Topic, ...]
    entries: dict[str, Entry]
    facts: dict[str, Fact]
    extra_examples: tuple[IntentExamples, ...] = ()
    crisis_lexicon: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)

    def fill(self, text: str, lang: str) -> str:
        """Replace {placeholders} with organisation facts; Arabic gets bidi isolation."""
        filled = PLACEHOLDER.sub(lambda m: self.facts[m.group(1)].text(lang), text)
        return isolate_ltr(filled) if lang == "ar" else filled

    def text(self, texts: Texts, lang: str) -> str:
        """The text in `lang`, falling back to French where a language is missing."""
        chosen = lang if texts.get(lang) else FALLBACK_LANGUAGE
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
