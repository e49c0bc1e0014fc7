"""The intents every deployment understands (a copy of the project's shared intents.yml)."""

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import yaml


class Route(StrEnum):
    """Where a message goes. Each is recorded in the statistics as its string.

    The NLU gives the first four (intents.yml declares one of them for each intent); the engine
    sets the last two, from what it remembers of the conversation. One type for both, so that a
    turn's route is always one of these six.
    """

    ANSWER = "answer"
    """An FAQ answer."""
    META = "meta"
    """About the conversation itself: a greeting, thanks, the bot, privacy, the language."""
    HANDOVER = "handover"
    """To a person: a crisis, or a request for one."""
    FALLBACK = "fallback"
    """Not understood, or not in a language the bot speaks."""
    RELAY = "relay"
    """Engine only: a person from the team is answering, so the bot keeps quiet and passes the message on."""
    CONTEXT = "context"
    """Engine only: a message read in the light of the conversation: a follow-up, an "ok" after a crisis."""


INTENTS_FILE = Path(__file__).with_name("intents.yml")
OUT_OF_SCOPE = "out_of_scope"
HUMAN_REQUEST = "human.request"


@dataclass(frozen=True)
class IntentSpec:
    id: str
    route: Route
    about: str

    @property
    def is_crisis(self) -> bool:
        return self.id.startswith("crisis.")


@cache
def load_intents(path: Path = INTENTS_FILE) -> dict[str, IntentSpec]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {name: IntentSpec(name, Route(spec["route"]), spec.get("about", "")) for name, spec in raw.items()}


def route_of(intent: str) -> Route:
    """FAQ entries beyond intents.yml are answers; everything listed keeps its declared route."""
    spec = load_intents().get(intent)
    return spec.route if spec else Route.ANSWER
