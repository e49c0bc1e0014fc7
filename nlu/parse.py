"""From a message to a Parse: language, intent, confidence, and the route the bot will take."""

from dataclasses import asdict, dataclass, field

from nlu.classifier import Ranked
from nlu.intents import HUMAN_REQUEST, OUT_OF_SCOPE, Route, route_of
from nlu.safety import MEDICAL, VIOLENCE, Reading

GREETINGS = ("greet", "thanks")


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
    question_after_greeting: float = 0.15
    """A greeting's runner-up answer this likely is the real question of "hello, where are you?"."""
    safety_check: float = 0.08
    """From here to `crisis`, a message the bot did not understand gets "are you safe right now?"."""


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
    crisis_hint: str | None = None
    """A crisis the classifier sees too faintly to hand over: the engine asks whether the person is safe."""

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


def _softened(ranking: list[Ranked], crisis: str, thresholds: Thresholds, by_rule: bool) -> tuple[str, float, Route, bool, str | None]:
    """The best intent that is not a crisis answers; the crisis becomes the one to check for.

    Its confidence is its share of what is not a crisis: the words that make the classifier think of
    one ("respire plus", "a client hits me") are in the message, but the person asks something else."""
    not_crisis = 1.0 - sum(r.confidence for r in ranking if r.intent.startswith("crisis."))
    others = [Ranked(r.intent, round(r.confidence / not_crisis, 4)) for r in ranking if not r.intent.startswith("crisis.")] if not_crisis > 0 else []
    intent, confidence, route, _ = decide_route(others, None, False, thresholds)
    return intent, confidence, route, by_rule, crisis


def decide(ranking: list[Ranked], reading: Reading, thresholds: Thresholds) -> tuple[str, float, Route, bool, str | None]:
    """The route of a message from the classifier and the crisis lexicon, and the crisis to check for.

    A crisis phrase the lexicon softened (a violence in the past asked about, an idiom) leaves the
    classifier's best other intent to answer, and the engine asks whether the person is safe; so
    does a crisis the classifier half sees in a message it cannot answer.
    """
    if reading.softened is not None:
        return _softened(ranking, reading.softened, thresholds, by_rule=True)
    intent, confidence, route, by_rule = decide_route(ranking, reading.crisis, reading.calls_for_help, thresholds, reading.idiom)
    if route == Route.HANDOVER and not by_rule and (reading.ahead or reading.idiom and intent != MEDICAL or reading.past and intent == VIOLENCE):
        return _softened(ranking, intent, thresholds, by_rule=False)
    hint = None
    if route == Route.FALLBACK:
        hint = next((r.intent for r in ranking if r.intent.startswith("crisis.") and r.confidence >= thresholds.safety_check), None)
    return intent, confidence, route, by_rule, hint


def decide_route(
    ranking: list[Ranked], crisis_match: str | None, calls_for_help: bool, thresholds: Thresholds, idiom: bool = False
) -> tuple[str, float, Route, bool]:
    """Apply the safety rules and the thresholds to a classifier ranking.

    `idiom`: the message holds laughter or an idiom, small talk like a greeting before its question.
    Returns (intent, confidence, route, decided_by_safety_rule).
    """
    if crisis_match is not None:
        return crisis_match, 1.0, Route.HANDOVER, True
    if not ranking:
        return OUT_OF_SCOPE, 0.0, Route.FALLBACK, False
    top = ranking[0]
    crisis = next((r for r in ranking if r.intent.startswith("crisis.")), None)
    if crisis is not None and crisis.confidence >= thresholds.crisis:
        return crisis.intent, crisis.confidence, Route.HANDOVER, False
    if crisis is not None and calls_for_help and crisis.confidence >= thresholds.crisis_with_call_for_help:
        return crisis.intent, crisis.confidence, Route.HANDOVER, True
    if top.intent == HUMAN_REQUEST:
        route = Route.HANDOVER if top.confidence >= thresholds.human else Route.FALLBACK
        return top.intent, top.confidence, route, False
    question = ranking[1] if len(ranking) > 1 else None
    small_talk = top.intent in GREETINGS or (idiom and top.intent == OUT_OF_SCOPE)
    if small_talk and question is not None and route_of(question.intent) == Route.ANSWER and question.confidence >= thresholds.question_after_greeting:
        return question.intent, question.confidence, Route.ANSWER, False  # "hola, ¿dónde están?", "me muero de risa jaja, ¿y los condones?"
    route = route_of(top.intent)
    if route in (Route.ANSWER, Route.META) and top.confidence < thresholds.answer:
        route = Route.FALLBACK
    return top.intent, top.confidence, route, False
