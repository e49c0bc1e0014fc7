"""Reads the team's saved replies (faq/snippets.yml), which staff send by name: `/snippet prep-cost`.

They live beside the FAQ and are loaded with it, so they follow its path: checked by
`outreach-bot faq lint`, reloaded live, kept in the last good copy, and a broken file is refused
while the previous FAQ and snippets keep serving. A snippet is said to a person in the
organisation's voice, so it is held to an answer's rules: every required language, known
placeholders only.
"""

import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from bot.faq.checker import Checker, did_you_mean
from bot.faq.model import Snippet
from bot.faq.yamlfile import LineDict, LineList
from bot.languages import REQUIRED

SNIPPETS_FILE = "snippets.yml"
NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
"""What staff type after /snippet: lowercase words joined by dashes, nothing to get wrong on a phone keyboard."""
KEYS = ("name", "text", "sources")


def load_snippets(path: Path, facts: Collection[str], checker: Checker) -> dict[str, Snippet]:
    """The snippets by name; none when the file is not there (a team may have none yet)."""
    if not path.exists():
        return {}
    root = checker.document(path, "the snippets file")
    if root is None:
        return {}
    items = root.get("snippets")
    if not isinstance(items, LineList):
        checker.error(path, root.line_of("snippets"), "snippets must be a list, each snippet starting with '- name:'")
        return {}
    snippets: dict[str, Snippet] = {}
    lines: dict[str, int] = {}
    for index, item in enumerate(items):
        line = items.line_of(index)
        snippet = _load_snippet(item, path, line, facts, checker)
        if snippet is None:
            continue
        if snippet.name in snippets:
            checker.error(path, line, f"duplicate snippet name '{snippet.name}' (also at {path.name}:{lines[snippet.name]})")
            continue
        snippets[snippet.name] = snippet
        lines[snippet.name] = line
    return snippets


def _load_snippet(item: Any, path: Path, line: int, facts: Collection[str], checker: Checker) -> Snippet | None:
    item = checker.mapping(item, path, line, "a snippet")
    if item is None:
        return None
    for key in item:
        if key not in KEYS:
            checker.error(path, item.line_of(key), f"unknown key '{key}'{did_you_mean(str(key), KEYS)} (a snippet has {', '.join(KEYS)})")
    name = item.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        checker.error(path, item.line_of("name"), f"snippet name {name!r} is not valid: write lowercase letters, digits and dashes, like prep-cost")
        return None
    texts = checker.texts(item.get("text"), path, item.line_of("text"), f"text of snippet {name}", REQUIRED)
    if texts:
        checker.placeholders(texts, item["text"], facts, path, f"text of snippet {name}")
    return Snippet(name, texts, _sources(item, path, name, checker))


def _sources(item: LineDict, path: Path, name: str, checker: Checker) -> tuple[str, ...]:
    """Optional: where the snippet's facts come from (the FAQ entry's sources), for whoever checks it."""
    sources = item.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) and s.strip() for s in sources):
        checker.error(path, item.line_of("sources"), f"sources of snippet {name} must be a list of texts")
        return ()
    return tuple(sources)
