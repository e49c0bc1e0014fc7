"""The payloads behind quick-reply buttons: short strings, at most 64 bytes, "action:argument"."""

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    """What a button asks for: the part of its payload before the first ":"."""

    FAQ = "faq"
    MORE = "more"
    TOPIC = "topic"
    LANGUAGE = "lang"
    SCRIPT = "script"
    SAFE = "safe"
    MENU = "menu"
    HUMAN = "human"
    FORGET = "forget"


MENU = Action.MENU.value
HUMAN = Action.HUMAN.value
FORGET_ASK = f"{Action.FORGET}:ask"
FORGET_YES = f"{Action.FORGET}:yes"
FORGET_NO = f"{Action.FORGET}:no"
CRISES = ("crisis.violence", "crisis.self_harm", "crisis.medical")


@dataclass(frozen=True)
class Payload:
    action: Action
    argument: str = ""


def parse(payload: str) -> Payload | None:
    """None for an action this version does not know: a button from an older version, or a forged payload."""
    action, _, argument = payload.partition(":")
    try:
        return Payload(Action(action), argument)
    except ValueError:
        return None


def faq(entry_id: str) -> str:
    return f"{Action.FAQ}:{entry_id}"


def more(entry_id: str) -> str:
    return f"{Action.MORE}:{entry_id}"


def topic(topic_id: str) -> str:
    return f"{Action.TOPIC}:{topic_id}"


def language(lang: str) -> str:
    return f"{Action.LANGUAGE}:{lang}"


def script(name: str) -> str:
    """Arabic in Latin letters or in Arabic script."""
    return f"{Action.SCRIPT}:{name}"


def safe(yes: bool, crisis: str) -> str:
    """The answer to "are you safe right now?", with the crisis the bot half saw."""
    return f"{Action.SAFE}:yes:{crisis}" if yes else f"{Action.SAFE}:no:{crisis}"


def checked_crisis(payload: Payload) -> str | None:
    """The crisis a safety-check button is about, when the payload is a valid one."""
    answer, _, crisis = payload.argument.partition(":")
    return crisis if answer in ("yes", "no") and crisis in CRISES else None
