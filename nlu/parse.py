"""From a message to a Parse: language, intent, confidence, and the route the bot will take."""

from dataclasses import asdict, dataclass, field

from nlu.classifier import Ranked
from nlu.intents import HUMAN_REQUEST, OUT_OF_SCOPE, Route, route_of


@dataclass(frozen=True)
class Thresholds:
    """Below `answer`, the bot says it is not sure rather than give a wrong answer.

    A crisis needs less certainty than an answer: sending a person to the staff by mistake
    costs a few minutes of someone's time; missing a crisis can cost a life.
    """

    answer: float = 0.30
    crisis: float = 0.20
    crisis_with_call_for_help: float = 0.08
    human: float = 0.30


@dataclass(frozen=True)
class Parse:
    text: str
    lang: str
    lang_confidence: float
    intent: str
    confidence: float
    route: Route
    ranking: list[Ranked] = field(default_factory=list)
    safety_rule: bool = False
    """True when the crisis lexicon decided, not the classifier."""

    def contract(self) -> dict:
        """The JSON object of `outreach-bot nlu parse` (DESIGN.md)."""
        return {
            "text": self.text,
            "lang": self.lang,
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "route": self.route,
        }

    def as_dict(self) -> dict:
        return asdict(self)


def decide_route(
    ranking: list[Ranked], crisis_match: str | None, calls_for_help: bool, thresholds: Thresholds
) -> tuple[str, float, Route, bool]:
    """Apply the safety rules and the thresholds to a classifier ranking.

    Returns (intent, confidence, route, decided_by_safety_rule).
    """
    if crisis_match is not None:
        return crisis_match, 1.0, "handover", True
    if not ranking:
        return OUT_OF_SCOPE, 0.0, "fallback", False
    top = ranking[0]
    crisis = next((r for r in ranking if r.intent.startswith("crisis.")), None)
    if crisis is not None and crisis.confidence >= thresholds.crisis:
        return crisis.intent, crisis.confidence, "handover", False
    if crisis is not None and calls_for_help and crisis.confidence >= thresholds.crisis_with_call_for_help:
        return crisis.intent, crisis.confidence, "handover", True
    if top.intent == HUMAN_REQUEST:
        route: Route = "handover" if top.confidence >= thresholds.human else "fallback"
        return top.intent, top.confidence, route, False
    route = route_of(top.intent)
    if route in ("answer", "meta") and top.confidence < thresholds.answer:
        route = "fallback"
    return top.intent, top.confidence, route, False
