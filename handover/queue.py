"""Who goes first in the handover queue, and why a conversation is in it."""

from nlu.intents import HUMAN_REQUEST

PRIORITY_CRISIS = 10
PRIORITY_URGENT = 5
PRIORITY_NORMAL = 0
URGENT_INTENTS = frozenset({"pep.urgent"})
"""Not a crisis, but time matters: post-exposure treatment works only within 72 hours."""

REASON_ASKED = "asked for a person"


def priority_for(intent: str) -> int:
    if intent.startswith("crisis."):
        return PRIORITY_CRISIS
    return PRIORITY_URGENT if intent in URGENT_INTENTS else PRIORITY_NORMAL


def reason_for(intent: str) -> str:
    return REASON_ASKED if intent == HUMAN_REQUEST else intent
