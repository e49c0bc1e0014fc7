"""What the engine remembers of a conversation between two messages: topics, never text.

It lives in the person's `state` (erased by /forget like the rest). Each memory fades after a
while: "how much?" two days after the PrEP answer is no longer about PrEP.
"""

from datetime import datetime, timedelta
from typing import Any

LAST_ANSWER = "last_answer"
"""The entry the person read last, for the follow-ups ("where exactly?") that refer to it."""
CRISIS = "crisis"
"""A crisis reply was given: what comes next ("ok", "?") is read in its light."""
SERIOUS = "serious"
"""The most serious intent seen lately, so that a later request for a person keeps its priority."""

WINDOWS = {LAST_ANSWER: timedelta(hours=2), CRISIS: timedelta(hours=12), SERIOUS: timedelta(hours=72)}


def remember(state: dict[str, Any], key: str, intent: str, now: datetime, **extra: Any) -> dict[str, Any]:
    return {**state, key: {"intent": intent, "at": now.isoformat(), **extra}}


def recall(state: dict[str, Any], key: str, now: datetime) -> dict[str, Any] | None:
    memory = state.get(key)
    if not isinstance(memory, dict) or "intent" not in memory:
        return None
    try:
        at = datetime.fromisoformat(memory["at"])
    except (KeyError, TypeError, ValueError):
        return None
    return memory if now - at <= WINDOWS[key] else None


def recall_intent(state: dict[str, Any], key: str, now: datetime) -> str | None:
    memory = recall(state, key, now)
    return memory["intent"] if memory else None


def forget(state: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k != key}
