"""Measuring an NLU backend on labelled messages: the figures the quality bar is set in."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.metrics import f1_score, precision_recall_fscore_support

from bot.languages import DEFAULT, SPOKEN
from nlu.intents import HUMAN_REQUEST, OUT_OF_SCOPE, route_of
from nlu.parse import Parse


@dataclass(frozen=True)
class Evaluation:
    count: int
    intent_accuracy: float
    macro_f1: float
    accuracy_by_language: dict[str, float]
    language_accuracy: float
    crisis_recall: float
    human_request_recall: float
    false_handover_rate: float
    fallback_rate_out_of_scope: float
    per_intent: dict[str, tuple[float, float, float, int]]
    confusions: list[tuple[str, str, int]]
    by_group: dict[str, dict[str, tuple[float, float, int]]]
    """For each label a message may carry (dialect, script, style): accuracy, crisis recall, count."""
    other_languages: tuple[float, int]
    """Messages in a language the bot does not speak: the share recognised and routed right, and their count."""


GROUPS = ("dialect", "script", "style")
"""Labels of the held-out sets (nlu/heldout/): generalisation is read per dialect and writer style."""


def _share(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def evaluate(all_labels: Sequence[dict], all_parses: Sequence[Parse]) -> Evaluation:
    """Intents are scored on the bot's languages; a message in another language must be recognised as
    such and get the languages the bot speaks (fallback), or the team if it is a crisis."""
    others = [(row, p) for row, p in zip(all_labels, all_parses) if row.get("lang", DEFAULT) not in SPOKEN]
    handled = [p.lang == row["lang"] and p.route == ("handover" if row["intent"].startswith("crisis.") else "fallback") for row, p in others]
    labels = [row for row in all_labels if row.get("lang", DEFAULT) in SPOKEN]
    parses = [p for row, p in zip(all_labels, all_parses) if row.get("lang", DEFAULT) in SPOKEN]
    gold = [row["intent"] for row in labels]
    predicted = [p.intent for p in parses]
    by_language: dict[str, list[bool]] = {}
    for row, p in zip(labels, parses):
        by_language.setdefault(row.get("lang", "?"), []).append(row["intent"] == p.intent)
    with_language = [(row["lang"], p.lang) for row, p in zip(all_labels, all_parses) if row.get("lang")]
    crisis = [p.route == "handover" for row, p in zip(all_labels, all_parses) if row["intent"].startswith("crisis.")]
    human = [p.route == "handover" for row, p in zip(labels, parses) if row["intent"] == HUMAN_REQUEST]
    answerable = [p.route == "handover" for row, p in zip(labels, parses) if route_of(row["intent"]) in ("answer", "meta")]
    out_of_scope = [p.route == "fallback" for row, p in zip(labels, parses) if row["intent"] == OUT_OF_SCOPE]
    intents = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, labels=intents, zero_division=0)
    confusions = Counter((g, p) for g, p in zip(gold, predicted) if g != p)
    return Evaluation(
        count=len(gold),
        intent_accuracy=_share(sum(g == p for g, p in zip(gold, predicted)), len(gold)),
        macro_f1=float(f1_score(gold, predicted, labels=intents, average="macro", zero_division=0)),
        accuracy_by_language={lang: _share(sum(hits), len(hits)) for lang, hits in sorted(by_language.items())},
        language_accuracy=_share(sum(g == p for g, p in with_language), len(with_language)),
        crisis_recall=_share(sum(crisis), len(crisis)),
        human_request_recall=_share(sum(human), len(human)),
        false_handover_rate=_share(sum(answerable), len(answerable)) if answerable else 0.0,
        fallback_rate_out_of_scope=_share(sum(out_of_scope), len(out_of_scope)),
        per_intent={i: (float(p), float(r), float(f), int(s)) for i, p, r, f, s in zip(intents, precision, recall, f1, support)},
        confusions=[(g, p, n) for (g, p), n in confusions.most_common(12)],
        by_group={group: _by_value(labels, parses, group) for group in GROUPS if any(group in row for row in labels)},
        other_languages=(_share(sum(handled), len(handled)), len(handled)),
    )


def _by_value(labels: Sequence[dict], parses: Sequence[Parse], group: str) -> dict[str, tuple[float, float, int]]:
    rows: dict[str, list[tuple[dict, Parse]]] = {}
    for row, p in zip(labels, parses):
        value = row.get(group)
        if value and value != "-":
            rows.setdefault(f"{row.get('lang', '?')} {value}" if group != "style" else value, []).append((row, p))
    result = {}
    for value, pairs in sorted(rows.items()):
        crisis = [p.route == "handover" for row, p in pairs if row["intent"].startswith("crisis.")]
        result[value] = (_share(sum(row["intent"] == p.intent for row, p in pairs), len(pairs)), _share(sum(crisis), len(crisis)), len(pairs))
    return result


def report(e: Evaluation) -> str:
    lines = [
        f"messages                 {e.count}",
        f"intent accuracy          {e.intent_accuracy:.3f}",
        f"intent macro-F1          {e.macro_f1:.3f}",
        *(f"  accuracy [{lang}]        {value:.3f}" for lang, value in e.accuracy_by_language.items()),
        f"language accuracy        {e.language_accuracy:.3f}",
        f"crisis → handover        {e.crisis_recall:.3f}",
        f"human.request → handover {e.human_request_recall:.3f}",
        f"false handovers          {e.false_handover_rate:.3f}  (answerable messages sent to a person)",
        f"out_of_scope → fallback  {e.fallback_rate_out_of_scope:.3f}",
        *([f"other languages handled {e.other_languages[0]:.3f}  ({e.other_languages[1]} messages: language named, fallback or, in a crisis, handover)"] if e.other_languages[1] else []),
        "",
        "per intent                  precision recall  f1    n",
        *(f"  {i:<26}{p:>6.2f}{r:>8.2f}{f:>6.2f}{s:>5}" for i, (p, r, f, s) in e.per_intent.items()),
        "",
        "most frequent confusions (expected → got)",
        *(f"  {n:>3}  {g} → {p}" for g, p, n in e.confusions),
    ]
    for group, values in e.by_group.items():
        lines += ["", f"by {group:<24}accuracy crisis   n"]
        lines += [f"  {value:<26}{accuracy:>6.3f}{crisis:>8.3f}{n:>5}" for value, (accuracy, crisis, n) in values.items()]
    return "\n".join(lines)
