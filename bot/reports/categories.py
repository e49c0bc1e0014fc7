"""The report's topics: the team's mapping of intents to categories (categories.yml), checked at file:line."""

from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path

import yaml

from bot.errors import ContentInvalid, Problem, YamlError
from bot.faq.yamlfile import LineDict, LineList, load
from bot.reports.labels import LANGUAGES
from bot.settings import Settings
from nlu.intents import load_intents

CATEGORIES_FILE = Path(__file__).with_name("categories.yml")
OTHER = "other"
"""The category of an intent the file does not name, and of a message with none."""


class CategoriesInvalid(ContentInvalid):
    headline = "the report's categories file is invalid:"


@dataclass(frozen=True)
class Categories:
    labels: dict[str, dict[str, str]]
    """Category → language → label, in the file's order."""
    patterns: dict[str, tuple[str, ...]]

    def of(self, intent: str | None) -> str:
        if intent:
            for category, patterns in self.patterns.items():
                if any(_matches(pattern, intent) for pattern in patterns):
                    return category
        return OTHER

    def label(self, category: str, lang: str) -> str:
        return self.labels.get(category, {}).get(lang, category)


def _matches(pattern: str, intent: str) -> bool:
    return intent.startswith(pattern[:-1]) if pattern.endswith("*") else intent == pattern


def known_intents(faq_dir: Path) -> set[str]:
    """The intents every deployment has (nlu/intents.yml) and the ids of the FAQ's entries.

    Read without validating the FAQ (seconds, with its model): `outreach-bot faq lint` does that.
    """
    found = set(load_intents())
    for path in sorted(faq_dir.glob("*.yml")):
        try:
            document = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        entries = document.get("entries") if isinstance(document, dict) else None
        found |= {str(entry["id"]) for entry in entries or () if isinstance(entry, dict) and "id" in entry}
    return found


def load_categories(path: Path, known_intents: set[str]) -> Categories:
    """`known_intents`: the intents the bot can give (the NLU's and the FAQ's): a pattern that matches none is a typo."""
    try:
        document = load(path)
    except YamlError as unreadable:
        raise CategoriesInvalid([unreadable.problem]) from None
    problems: list[Problem] = []
    listed = document.get("categories") if isinstance(document, LineDict) else None
    if not isinstance(listed, LineDict):
        raise CategoriesInvalid([Problem(path, 1, "the file needs 'categories:', a mapping of category names to a label and intents")])
    labels: dict[str, dict[str, str]] = {}
    patterns: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for name, category in listed.items():
        line = listed.line_of(name)
        if not isinstance(category, LineDict):
            problems.append(Problem(path, line, f"category '{name}' needs a label and intents"))
            continue
        label = category.get("label")
        missing = [lang for lang in LANGUAGES if not isinstance(label, dict) or not str(label.get(lang, "")).strip()]
        if missing:
            problems.append(Problem(path, category.line_of("label"), f"category '{name}' needs a label in {', '.join(missing)}"))
        intents = category.get("intents")
        if not isinstance(intents, LineList) or not intents:
            problems.append(Problem(path, category.line_of("intents"), f"category '{name}' needs a list of intents, e.g. [prep.*, pep.urgent]"))
            continue
        for index, pattern in enumerate(intents):
            pattern_line = intents.line_of(index)
            matched = {intent for intent in known_intents if _matches(str(pattern), intent)}
            if not matched:
                close = get_close_matches(str(pattern), sorted(known_intents), n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(Problem(path, pattern_line, f"'{pattern}' is no intent the bot knows{hint}"))
            for intent in sorted(matched):
                if owner.setdefault(intent, str(name)) != name:
                    problems.append(Problem(path, pattern_line, f"'{intent}' is already in category '{owner[intent]}': an intent counts in one category"))
        labels[str(name)] = {lang: str(label[lang]) for lang in LANGUAGES} if not missing and isinstance(label, dict) else {}
        patterns[str(name)] = tuple(str(pattern) for pattern in intents)
    if problems:
        raise CategoriesInvalid(problems)
    return Categories(labels, patterns)


def team_categories(settings: Settings) -> Categories:
    """The team's file (REPORT_CATEGORIES_FILE), checked against the intents of its FAQ (raises CategoriesInvalid)."""
    return load_categories(settings.report_categories_file, known_intents(settings.faq_dir))
