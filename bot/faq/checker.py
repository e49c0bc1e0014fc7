"""Collects every problem a volunteer's edit has, each at its file and line, for `outreach-bot faq lint`.

The FAQ's files and the snippets share it, so that they are checked the same way: every
language, known placeholders, "did you mean" for a typo.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from bot.errors import Problem, YamlError
from bot.faq.model import PLACEHOLDER, TEXT_KEYS, Texts
from bot.faq.yamlfile import LineDict, LineList, load
from bot.languages import REQUIRED, SPOKEN
from nlu.text import normalise


@dataclass
class Checker:
    """Accumulates problems while the files are read."""

    today: date
    problems: list[Problem] = field(default_factory=list)
    seen_examples: dict[str, tuple[str, Path, int]] = field(default_factory=dict)
    unreadable: bool = False
    """A file is not valid YAML: what it defines is missing, so references to it are not checked."""

    def error(self, file: Path, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message))

    def warn(self, file: Path, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message, warning=True))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    def document(self, path: Path, what: str) -> LineDict | None:
        """A YAML file whose top level is a mapping, or None (with the problem recorded)."""
        try:
            content = load(path)
        except YamlError as error:
            self.problems.append(error.problem)
            self.unreadable = True
            return None
        return self.mapping(content, path, 1, what)

    def mapping(self, value: Any, file: Path, line: int, what: str) -> LineDict | None:
        if isinstance(value, LineDict):
            return value
        self.error(file, line, f"{what} must be a mapping (key: value lines)")
        return None

    def texts(self, value: Any, file: Path, line: int, what: str, required: tuple[str, ...]) -> Texts:
        mapping = self.mapping(value, file, line, what)
        if mapping is None:
            return {}
        texts: Texts = {}
        for lang, text in mapping.items():
            if lang not in TEXT_KEYS:
                self.error(file, mapping.line_of(lang), f"{what}: unknown language '{lang}' (use {', '.join(TEXT_KEYS)})")
            elif not isinstance(text, str) or not text.strip():
                self.error(file, mapping.line_of(lang), f"{what} in '{lang}' is empty")
            else:
                texts[lang] = text.strip()
        for lang in required:
            if lang not in texts and lang not in mapping:
                self.error(file, line, f"{what}: missing language '{lang}'")
        return texts

    def placeholders(self, texts: Texts, node: LineDict, facts: Collection[str], file: Path, what: str) -> None:
        """Each {name} is an organisation fact: a typo would reach a person as a word in braces."""
        for lang, text in texts.items():
            for name in PLACEHOLDER.findall(text):
                if name not in facts:
                    self.error(file, node.line_of(lang), f"{what} in '{lang}': unknown placeholder {{{name}}}{did_you_mean(name, facts)}")

    def examples(self, value: Any, file: Path, line: int, intent: str) -> dict[str, tuple[str, ...]]:
        mapping = self.mapping(value, file, line, f"examples of {intent}")
        if mapping is None:
            return {}
        result: dict[str, tuple[str, ...]] = {}
        for lang, items in mapping.items():
            lang_line = mapping.line_of(lang)
            if lang not in SPOKEN:
                self.error(file, lang_line, f"examples of {intent}: unknown language '{lang}'")
                continue
            if not isinstance(items, LineList):
                self.error(file, lang_line, f"examples of {intent} in '{lang}' must be a list")
                continue
            kept = []
            for index, text in enumerate(items):
                item_line = items.line_of(index)
                if not isinstance(text, (str, int, float)) or not str(text).strip():
                    self.error(file, item_line, f"examples of {intent}: empty example")
                    continue
                text = str(text).strip()
                key = normalise(text)
                earlier = self.seen_examples.get(key)
                if earlier is not None:
                    other, other_file, other_line = earlier
                    where = f"{other_file.name}:{other_line}"
                    if other == intent:
                        self.error(file, item_line, f"example '{text}' is repeated in {intent} (also at {where})")
                    else:
                        self.error(file, item_line, f"example '{text}' of {intent} is also an example of {other} ({where})")
                    continue
                self.seen_examples[key] = (intent, file, item_line)
                kept.append(text)
            result[lang] = tuple(kept)
        for lang in REQUIRED:
            if not result.get(lang):
                self.error(file, line, f"examples of {intent}: missing language '{lang}'")
        return result

    def date(self, value: Any, file: Path, line: int, what: str) -> date | None:
        if isinstance(value, date):
            return value
        self.error(file, line, f"{what} must be a date written YYYY-MM-DD")
        return None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """", did you mean {emergency_number}?" for the closest known name, when one is close: most mistakes are typos."""
    close = closest(name, known)
    return f" (did you mean '{close}'?)" if close else ""


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name `name` is most likely a typo of, if any."""
    close = get_close_matches(name, list(known), n=1, cutoff=0.6)
    return close[0] if close else None
