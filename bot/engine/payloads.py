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
