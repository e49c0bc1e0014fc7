"""The embedded NLU: runs in the bot's own process, needs no server and no network."""

from collections.abc import Mapping, Sequence
from copy import copy

from bot.languages import SPOKEN
from nlu.classifier import IntentClassifier
from nlu.intents import Route
from nlu.language import LanguageIdentifier
from nlu.linear import TrainedNLU
from nlu.parse import Parse, Thresholds, decide
from nlu.safety import CrisisLexicon

MAX_CHARACTERS = 2000
"""Longer messages are read up to here: the question is nearly always at the start."""

SURE_LANGUAGE = 0.6
WARM_UP = ("c koi la prep", "onde posso fazer o teste de graça aqui em bruxelas", "فين كاينين", "wach kayn chi test")
"""Parsed once at start: the first parse loads what is loaded lazily (the language detector's model, the
classifier's first arrays), some 35 ms that would otherwise block everything else during the first person's message."""


class EmbeddedNLU:
    def __init__(
        self,
        trained: TrainedNLU,
        crisis_lexicon: Mapping[str, Mapping[str, Sequence[str]]],
        thresholds: Thresholds | None = None,
    ):
        """`trained`: by nlu.training.train, or nlu.fitting.fit in a process that may hold scikit-learn."""
        self.languages = LanguageIdentifier(trained.languages)
        self.classifier = IntentClassifier(trained.intents)
        self.lexicon = CrisisLexicon(crisis_lexicon)
        self.thresholds = thresholds or Thresholds()
        self.training_seconds = trained.seconds
        self.example_count = trained.example_count
        words = trained.intents.words()
        trained.intents.remember(words)
        trained.languages.remember(words)
        self.parse_many(WARM_UP)

    async def parse(self, text: str, lang_hint: str | None = None) -> Parse:
        return self.parse_many([text], lang_hint)[0]

    def with_lexicon(self, crisis_lexicon: Mapping[str, Mapping[str, Sequence[str]]]) -> "EmbeddedNLU":
        """The same trained models with other crisis words: an edit of the lexicon applies without training."""
        changed = copy(self)
        changed.lexicon = CrisisLexicon(crisis_lexicon)
        return changed

    def parse_many(self, texts: Sequence[str], lang_hint: str | None = None) -> list[Parse]:
        clipped = [t[:MAX_CHARACTERS] for t in texts]
        guesses = self.languages.identify_many(clipped)
        rankings = self.classifier.rank_many(clipped, [g.lang for g in guesses])
        parses = []
        for text, guess, ranking in zip(texts, guesses, rankings):
            lang = guess.lang
            if lang_hint and (guess.confidence < SURE_LANGUAGE or _too_short_to_tell(text, guess.confidence)):
                lang = lang_hint
            reading = self.lexicon.read(text[:MAX_CHARACTERS])
            intent, confidence, route, by_rule, hint = decide(ranking, reading, self.thresholds)
            if lang not in SPOKEN and not (route == Route.HANDOVER and by_rule):
                # A language the bot does not speak: it says which it speaks, and offers a person. Its crises are the
                # lexicon's (nlu/data/crisis_lexicon.yml has their phrases); one only the classifier sees, which cannot
                # read the language, is asked about ("are you safe right now?") rather than handed over.
                hint = intent if route == Route.HANDOVER else hint
                route = Route.FALLBACK
            parses.append(Parse(text, lang, guess.confidence, intent, confidence, route, ranking, by_rule, hint))
        return parses


def _too_short_to_tell(text: str, confidence: float) -> bool:
    """"ok", "merci", "bye": a word or two in Latin letters can be any language (Arabic script is certain)."""
    return confidence < 1.0 and len(text.split()) <= 2
