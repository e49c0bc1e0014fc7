"""The payloads behind quick-reply buttons: short strings, at most 64 bytes."""

from dataclasses import dataclass

MENU = "menu"
HUMAN = "human"
FORGET_YES = "forget:yes"
FORGET_NO = "forget:no"


@dataclass(frozen=True)
class Payload:
    action: str
    argument: str = ""


def parse(payload: str) -> Payload:
    action, _, argument = payload.partition(":")
    return Payload(action, argument)


def faq(entry_id: str) -> str:
    return f"faq:{entry_id}"


def more(entry_id: str) -> str:
    return f"more:{entry_id}"


def topic(topic_id: str) -> str:
    return f"topic:{topic_id}"


def language(lang: str) -> str:
    return f"lang:{lang}"


def script(name: str) -> str:
    """Arabic in Latin letters or in Arabic script."""
    return f"script:{name}"


SAFE = "safe"
CRISES = ("crisis.violence", "crisis.self_harm", "crisis.medical")


def safe(yes: bool, crisis: str) -> str:
    """The answer to "are you safe right now?", with the crisis the bot half saw."""
    return f"{SAFE}:yes:{crisis}" if yes else f"{SAFE}:no:{crisis}"


def checked_crisis(payload: Payload) -> str | None:
    """The crisis a safety-check button is about, when the payload is a valid one."""
    answer, _, crisis = payload.argument.partition(":")
    return crisis if answer in ("yes", "no") and crisis in CRISES else None
