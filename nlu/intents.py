"""The intents every deployment understands (a copy of the project's shared intents.yml)."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

Route = Literal["answer", "meta", "handover", "fallback"]
ROUTES: tuple[Route, ...] = ("answer", "meta", "handover", "fallback")
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
    return {name: IntentSpec(name, spec["route"], spec.get("about", "")) for name, spec in raw.items()}


def route_of(intent: str) -> Route:
    """FAQ entries beyond intents.yml are answers; everything listed keeps its declared route."""
    spec = load_intents().get(intent)
    return spec.route if spec else "answer"
