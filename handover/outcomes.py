"""What came of a handover, chosen by staff when they close it: the report counts them (bot/reports/).

A short list, the same for every team, so that the figures add up across periods. Staff give it
as `/close 2` or `/close referred`; a close without one is counted as "not said".
"""

from collections.abc import Callable

OUTCOMES = ("information", "referred", "appointment", "crisis_handled", "no_answer")
"""In the order staff see them, numbered from 1."""


def outcome_of(text: str) -> str | None:
    """The outcome `text` names (its number or its key, any case); None when it names none."""
    word = text.strip().lower()
    if word.isdigit() and 1 <= int(word) <= len(OUTCOMES):
        return OUTCOMES[int(word) - 1]
    return word if word in OUTCOMES else None


def choices(gettext: Callable[[str], str]) -> str:
    """The list staff choose from, in their language: "/close 1 — information given, /close 2 — …"."""
    labels = {
        "information": gettext("information given"),
        "referred": gettext("referred to a service"),
        "appointment": gettext("appointment made"),
        "crisis_handled": gettext("crisis handled"),
        "no_answer": gettext("no answer"),
    }
    return "\n".join(f"/close {number} — {labels[outcome]}" for number, outcome in enumerate(OUTCOMES, start=1))
