"""While the NLU trains on an edited FAQ, its new examples and crisis words already count.

Training again takes some ten seconds (nlu/training.py); a volunteer who adds an example or a
crisis phrase and tries it at once should see it work. Until the new model is ready, the previous
one reads messages as before, but a message that is one of the new examples word for word
(letter case, accents and punctuation aside) gets that example's intent, and the new crisis
lexicon is the one applied. Crisis first: a message the previous model or the lexicon reads as a
crisis stays a crisis, whatever a new example says.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from nlu.embedded import EmbeddedNLU
from nlu.intents import Route, route_of
from nlu.parse import Parse
from nlu.protocol import NLUBackend
from nlu.rasa_backend import RasaNLU
from nlu.text import normalise


class WithNewExamples:
    def __init__(self, base: NLUBackend, examples: Iterable[tuple[str, str, str]]):
        """`examples`: (text, language, intent), those the base was not trained on."""
        self.base = base
        self._intents = {normalise(text).strip(): intent for text, _lang, intent in examples}

    async def parse(self, text: str, lang_hint: str | None = None) -> Parse:
        parsed = await self.base.parse(text, lang_hint)
        intent = self._intents.get(normalise(text).strip())
        if intent is None or (parsed.route == Route.HANDOVER and parsed.intent.startswith("crisis.")):
            return parsed
        return replace(parsed, intent=intent, confidence=1.0, route=route_of(intent), crisis_hint=None)


def serving(current: NLUBackend, added: Sequence[tuple[str, str, str]], lexicon: Mapping[str, Mapping[str, Sequence[str]]]) -> NLUBackend:
    """`current` with an edited FAQ's crisis words, and its new examples until the NLU trained on them is ready.

    The lexicon is not learnt: with the same examples, this is the NLU for the edited FAQ for good."""
    base = current
    if isinstance(base, EmbeddedNLU):
        base = base.with_lexicon(lexicon)
    elif isinstance(base, RasaNLU):
        base = RasaNLU(base.connection, base.embedded.with_lexicon(lexicon))
    return WithNewExamples(base, added) if added else base
