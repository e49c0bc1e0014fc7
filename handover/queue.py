"""Who goes first in the handover queue, and why a conversation is in it."""

from nlu.intents import HUMAN_REQUEST

PRIORITY_CRISIS = 10
PRIORITY_URGENT = 5
PRIORITY_NORMAL = 0
URGENT_INTENTS = frozenset({"pep.urgent", "contraception.emergency"})
"""Not a crisis, but time matters: post-exposure treatment works only within 72 hours, and
emergency contraception works better the sooner it is taken."""

REASON_ASKED = "asked for a person"


def priority_for(intent: str) -> int:
    if intent.startswith("crisis."):
        return PRIORITY_CRISIS
    return PRIORITY_URGENT if intent in URGENT_INTENTS else PRIORITY_NORMAL


def reason_for(intent: str) -> str:
    return REASON_ASKED if intent == HUMAN_REQUEST else intent


def raises(current_priority: int, current_reason: str, intent: str) -> bool:
    """Whether `intent`, seen now in the conversation, should become the request's reason.

    The queue shows the most serious thing seen: a higher priority always wins, and a new crisis
    replaces an older one (the person's situation now), but nothing replaces a crisis with less.
    """
    priority = priority_for(intent)
    if priority > current_priority:
        return True
    return priority == PRIORITY_CRISIS == current_priority and reason_for(intent) != current_reason
