"""Reads the FAQ folder and the NLU training data, checking everything a volunteer might get wrong.

Every problem is collected (not just the first) with its file and line, so that one run of
`outreach-bot faq lint` shows the whole list.
"""

from datetime import date
from pathlib import Path
from typing import Any

from bot.errors import FaqInvalid, Problem
from bot.faq.checker import Checker, did_you_mean
from bot.faq.model import (
    FOLLOW_UP_KINDS,
    Entry,
    Fact,
    Faq,
    FollowUp,
    IntentExamples,
    Texts,
    Topic,
)
from bot.faq.snippets import SNIPPETS_FILE, load_snippets
from bot.faq.yamlfile import LineDict, LineList, load
from bot.languages import REQUIRED, SPOKEN
from nlu.context import FILLER, OVER, WORD_KINDS, ContextPhrases
from nlu.intents import INTENTS_FILE, load_intents
from nlu.safety import DISTRESS, SOFTENING

ORGANISATION_FILE = "organisation.yml"
LEXICON_FILE = "crisis_lexicon.yml"
CONTEXT_FILE = "context_phrases.yml"
NOT_TRAINING_DATA = (LEXICON_FILE, CONTEXT_FILE)
TITLE_MAX = 24
REQUIRED_FACTS = ("emergency_number", "hours_online")
"""Facts the bot's own sentences use (welcome, handover notice)."""
ANSWER_SOFT_MAX = 900


def load_faq(faq_dir: Path, nlu_data_dir: Path, today: date | None = None, release: bool = False) -> tuple[Faq, list[Problem]]:
    """Load and validate; raises FaqInvalid when there is any error, else returns the warnings too.

    `release`: the FAQ is about to go before the public, so an organisation fact the team has not
    filled in yet is an error rather than a warning.
    """
    checker = Checker(today or date.today())
    facts = _load_facts(faq_dir / ORGANISATION_FILE, checker, release)
    topics: list[Topic] = []
    entries: dict[str, Entry] = {}
    entry_lines: dict[str, tuple[Path, int, LineDict]] = {}
    topic_files = sorted(p for p in faq_dir.glob("*.yml") if p.name not in (ORGANISATION_FILE, SNIPPETS_FILE))
    if not topic_files:
        checker.error(faq_dir, 1, "no topic file (*.yml) in the FAQ folder")
    for path in topic_files:
        topic = _load_topic(path, facts, checker, entries, entry_lines)
        if topic is not None:
            topics.append(topic)
    snippets = load_snippets(faq_dir / SNIPPETS_FILE, facts, checker)
    extra = _load_extra_examples(nlu_data_dir, checker, set(entries))
    lexicon = _load_lexicon(nlu_data_dir / LEXICON_FILE, checker)
    context = _load_context_phrases(nlu_data_dir / CONTEXT_FILE, checker)
    if not checker.unreadable:
        # A file that could not be read defines none of its entries: every reference to them
        # would be reported in other files, burying the one line to fix.
        _check_related(entries, entry_lines, checker)
        _check_intent_coverage(entries, extra, checker)
    if checker.errors:
        raise FaqInvalid(checker.problems)
    faq = Faq(tuple(sorted(topics, key=lambda t: (t.order, t.id))), entries, facts, tuple(extra), lexicon, context, snippets)
    return faq, checker.problems


def _load_facts(path: Path, checker: Checker, release: bool) -> dict[str, Fact]:
    root = checker.document(path, "the organisation file")
    facts_map = checker.mapping(root.get("facts"), path, root.line_of("facts"), "facts") if root is not None else None
    if facts_map is None:
        return {}
    facts = {}
    for name, spec in facts_map.items():
        line = facts_map.line_of(name)
        spec = checker.mapping(spec, path, line, f"fact {name}")
        if spec is None:
            continue
        value = spec.get("value")
        until_filled: Texts = {}
        if isinstance(value, (str, int, float)) and str(value).strip():
            texts = {"*": str(value).strip()}
        elif value is None and "until_filled" in spec:
            texts = {}
            until_filled = checker.texts(spec["until_filled"], path, spec.line_of("until_filled"), f"until_filled of {name}", SPOKEN)
            report = checker.error if release else checker.warn
            report(path, line, f"fact {name} is not filled in yet: the bot says what `until_filled` says in its place")
        else:
            texts = checker.texts(value, path, spec.line_of("value"), f"value of {name}", REQUIRED)
        for lang, text in texts.items():
            if text.startswith("[") and text.endswith("]"):
                checker.error(path, spec.line_of("value"), f"value of {name} in '{lang}' is a gap to fill ({text}): write the fact, or leave `value` out and write `until_filled`")
        if not spec.get("source"):
            checker.error(path, line, f"fact {name} has no source")
        if spec.get("to_check"):
            checker.warn(path, line, f"fact {name} is still to be checked by the team")
        facts[name] = Fact(name, texts, str(spec.get("source", "")), bool(spec.get("to_check")), until_filled)
    for name in REQUIRED_FACTS:
        if name not in facts:
            checker.error(path, facts_map.line, f"fact {name} is missing: the bot's own sentences need it")
    return facts


def _load_topic(
    path: Path,
    facts: dict[str, Fact],
    checker: Checker,
    entries: dict[str, Entry],
    entry_lines: dict[str, tuple[Path, int, LineDict]],
) -> Topic | None:
    root = checker.document(path, "a topic file")
    if root is None:
        return None
    topic = checker.mapping(root.get("topic"), path, root.line_of("topic"), "topic")
    title = checker.texts(topic.get("title") if topic else None, path, topic.line if topic else 1, "topic title", REQUIRED)
    _check_title_length(title, topic.get("title") if topic else None, path, "topic title", checker)
    order = topic.get("order", 100) if topic else 100
    if not isinstance(order, int):
        checker.error(path, topic.line_of("order") if topic else 1, "topic order must be a whole number")
        order = 100
    items = root.get("entries")
    if not isinstance(items, LineList) or not items:
        checker.error(path, root.line_of("entries"), "entries must be a non-empty list")
        return None
    ids = []
    for index, item in enumerate(items):
        entry = _load_entry(item, path, items.line_of(index), facts, checker)
        if entry is None:
            continue
        if entry.id in entries:
            other_path, other_line, _ = entry_lines[entry.id]
            checker.error(path, items.line_of(index), f"duplicate id '{entry.id}' (also in {other_path.name}:{other_line})")
            continue
        entries[entry.id] = entry
        entry_lines[entry.id] = (path, items.line_of(index), item)
        ids.append(entry.id)
    return Topic(path.stem, title, order, tuple(ids))


def _load_entry(item: Any, path: Path, line: int, facts: dict[str, Fact], checker: Checker) -> Entry | None:
    item = checker.mapping(item, path, line, "an entry")
    if item is None:
        return None
    entry_id = item.get("id")
    if not isinstance(entry_id, str) or not entry_id.strip():
        checker.error(path, line, "entry without an id")
        return None
    title = checker.texts(item.get("title"), path, item.line_of("title"), f"title of {entry_id}", REQUIRED)
    _check_title_length(title, item.get("title"), path, f"title of {entry_id}", checker)
    answer = checker.texts(item.get("answer"), path, item.line_of("answer"), f"answer of {entry_id}", REQUIRED)
    more = checker.texts(item["more"], path, item.line_of("more"), f"'more' of {entry_id}", ()) if "more" in item else {}
    for field_name, texts in (("title", title), ("answer", answer), ("more", more)):
        if texts:
            checker.placeholders(texts, item[field_name], facts, path, f"{field_name} of {entry_id}")
    for lang, text in answer.items():
        if len(text) > ANSWER_SOFT_MAX:
            checker.warn(path, item["answer"].line_of(lang), f"answer of {entry_id} in '{lang}' is {len(text)} characters: too long for a phone screen")
    examples = checker.examples(item.get("examples"), path, item.line_of("examples"), entry_id)
    follow_ups = _load_follow_ups(item, path, entry_id, facts, checker) if "follow_ups" in item else {}
    related = item.get("related", [])
    if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
        checker.error(path, item.line_of("related"), f"related of {entry_id} must be a list of ids")
        related = []
    sources = item.get("sources")
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) and s.strip() for s in sources):
        checker.error(path, item.line_of("sources"), f"{entry_id} needs at least one source")
        sources = []
    review = checker.mapping(item.get("review"), path, item.line_of("review"), f"review of {entry_id}")
    reviewed_on = review_due = None
    reviewed_by = ""
    if review is not None:
        reviewed_on = checker.date(review.get("reviewed_on"), path, review.line_of("reviewed_on"), f"reviewed_on of {entry_id}")
        review_due = checker.date(review.get("review_due"), path, review.line_of("review_due"), f"review_due of {entry_id}")
        reviewed_by = str(review.get("reviewed_by") or "")
        if not reviewed_by:
            checker.error(path, review.line, f"review of {entry_id} must say who reviewed it (reviewed_by)")
        if review_due is not None and review_due <= checker.today:
            checker.warn(path, review.line_of("review_due"), f"{entry_id} was due for review on {review_due.isoformat()}")
    return Entry(
        id=entry_id,
        topic=path.stem,
        title=title,
        answer=answer,
        more=more,
        examples=examples,
        related=tuple(related),
        sources=tuple(sources),
        reviewed_on=reviewed_on,
        reviewed_by=reviewed_by,
        review_due=review_due,
        follow_ups=follow_ups,
    )


def _load_follow_ups(item: LineDict, path: Path, entry_id: str, facts: dict[str, Fact], checker: Checker) -> dict[str, FollowUp]:
    """`follow_ups:` maps a kind to another entry's id, or to a text in each language."""
    node = checker.mapping(item["follow_ups"], path, item.line_of("follow_ups"), f"follow_ups of {entry_id}")
    if node is None:
        return {}
    follow_ups = {}
    for kind, value in node.items():
        line = node.line_of(kind)
        if kind not in FOLLOW_UP_KINDS:
            checker.error(path, line, f"follow_ups of {entry_id}: unknown kind '{kind}' (use {', '.join(FOLLOW_UP_KINDS)})")
        elif isinstance(value, str):
            follow_ups[kind] = FollowUp(see=value.strip())
        else:
            texts = checker.texts(value, path, line, f"follow_ups {kind} of {entry_id}", REQUIRED)
            checker.placeholders(texts, value, facts, path, f"follow_ups {kind} of {entry_id}")
            follow_ups[kind] = FollowUp(text=texts)
    return follow_ups


def _check_title_length(title: Texts, node: Any, path: Path, what: str, checker: Checker) -> None:
    """Titles become buttons: WhatsApp cuts list rows at 24 characters."""
    for lang, text in title.items():
        if len(text) > TITLE_MAX:
            line = node.line_of(lang) if isinstance(node, LineDict) else 1
            checker.error(path, line, f"{what} in '{lang}' is longer than {TITLE_MAX} characters")


def _load_extra_examples(data_dir: Path, checker: Checker, entry_ids: set[str]) -> list[IntentExamples]:
    intents = load_intents()
    extra = []
    for path in sorted(data_dir.glob("*.yml")):
        if path.name in NOT_TRAINING_DATA:
            continue
        root = checker.document(path, "a training data file")
        items = root.get("intents") if root is not None else None
        if not isinstance(items, LineList):
            checker.error(path, root.line_of("intents") if root is not None else 1, "intents must be a list")
            continue
        for index, item in enumerate(items):
            item = checker.mapping(item, path, items.line_of(index), "an intent")
            if item is None:
                continue
            intent = item.get("id")
            if intent not in intents:
                checker.error(path, item.line, f"unknown intent '{intent}'{did_you_mean(str(intent), intents)} (see {INTENTS_FILE.name})")
                continue
            if intent in entry_ids:
                checker.error(path, item.line, f"{intent} has an FAQ entry: its examples belong there")
                continue
            extra.append(IntentExamples(intent, checker.examples(item.get("examples"), path, item.line_of("examples"), intent)))
    return extra


def _load_lexicon(path: Path, checker: Checker) -> dict[str, dict[str, tuple[str, ...]]]:
    if not path.exists():
        checker.error(path, 1, "the crisis lexicon is missing: the bot must never rely on the classifier alone for a crisis")
        return {}
    root = checker.document(path, "the crisis lexicon")
    if root is None:
        return {}
    lexicon = {}
    for intent, by_lang in root.items():
        line = root.line_of(intent)
        if intent not in SOFTENING and intent != DISTRESS and not (intent.startswith("crisis.") and intent in load_intents()):
            checker.error(path, line, f"'{intent}' is neither a crisis intent of {INTENTS_FILE.name} nor one of {DISTRESS}, {', '.join(SOFTENING)}")
            continue
        by_lang = checker.mapping(by_lang, path, line, f"patterns of {intent}")
        if by_lang is None:
            continue
        patterns = {}
        for lang, items in by_lang.items():
            if lang not in SPOKEN or not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
                checker.error(path, by_lang.line_of(lang), f"patterns of {intent}: '{lang}' must be a language with a list of phrases")
                continue
            patterns[lang] = tuple(items)
        lexicon[intent] = patterns
    return lexicon


def _load_context_phrases(path: Path, checker: Checker) -> ContextPhrases:
    if not path.exists():
        return ContextPhrases()
    root = checker.document(path, "the follow-up words")
    if root is None:
        return ContextPhrases()
    lists: dict[str, dict[str, tuple[str, ...]]] = {}
    for kind, by_lang in root.items():
        line = root.line_of(kind)
        if kind not in (*WORD_KINDS, FILLER, OVER):
            checker.error(path, line, f"unknown list '{kind}' (use {', '.join((*WORD_KINDS, FILLER, OVER))})")
            continue
        by_lang = checker.mapping(by_lang, path, line, f"words of {kind}")
        if by_lang is None:
            continue
        lists[kind] = {}
        for lang, items in by_lang.items():
            if lang not in SPOKEN or not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
                checker.error(path, by_lang.line_of(lang), f"words of {kind}: '{lang}' must be a language with a list of words")
                continue
            lists[kind][lang] = tuple(items)
    return ContextPhrases.from_lists(lists)


def _check_related(entries: dict[str, Entry], entry_lines: dict[str, tuple[Path, int, LineDict]], checker: Checker) -> None:
    for entry in entries.values():
        path, _line, item = entry_lines[entry.id]
        for other in entry.related:
            if other == entry.id:
                checker.error(path, item.line_of("related"), f"{entry.id} lists itself as related")
            elif other not in entries:
                checker.error(path, item.line_of("related"), f"related of {entry.id}: unknown id '{other}'{did_you_mean(other, entries)}")
        for kind, follow_up in entry.follow_ups.items():
            if follow_up.see is not None and follow_up.see not in entries:
                checker.error(path, item.line_of("follow_ups"), f"follow_ups {kind} of {entry.id}: unknown id '{follow_up.see}'{did_you_mean(follow_up.see, entries)}")
            elif follow_up.see == entry.id:
                checker.error(path, item.line_of("follow_ups"), f"follow_ups {kind} of {entry.id} points to itself: the person would get the same answer again")


def _check_intent_coverage(entries: dict[str, Entry], extra: list[IntentExamples], checker: Checker) -> None:
    declared = load_intents()
    lines = _intent_lines()
    with_examples = set(entries) | {x.id for x in extra}
    for intent, spec in declared.items():
        if spec.route == "answer" and intent not in entries:
            checker.error(INTENTS_FILE, lines.get(intent, 1), f"answer intent {intent} has no FAQ entry")
        elif spec.is_crisis and intent not in entries:
            checker.error(INTENTS_FILE, lines.get(intent, 1), f"crisis intent {intent} has no FAQ entry with the emergency contacts")
        elif intent not in with_examples:
            checker.error(INTENTS_FILE, lines.get(intent, 1), f"intent {intent} has no training examples")


def _intent_lines() -> dict[str, int]:
    document = load(INTENTS_FILE)
    return {key: document.line_of(key) for key in document} if isinstance(document, LineDict) else {}
