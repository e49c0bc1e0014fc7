"""How well each intent is covered: examples per language and whether the answer is written.

The team reads this table to see the gaps at a glance: an intent with few examples in a
language is one the bot will often misunderstand in that language.
"""

from dataclasses import dataclass

from bot.faq.model import Faq
from bot.languages import REQUIRED, SPOKEN
from nlu.intents import load_intents
from nlu.text import arabic_share

MIN_EXAMPLES = 25
MIN_LATIN_ARABIC = 10


@dataclass(frozen=True)
class Coverage:
    intent: str
    route: str
    examples: dict[str, int]
    latin_arabic: int
    answers: dict[str, bool] | None
    """None for intents answered by the bot's own sentences (meta, fallback, asking for a person)."""

    @property
    def gaps(self) -> list[str]:
        gaps = [f"{lang} < {MIN_EXAMPLES}" for lang in REQUIRED if self.examples.get(lang, 0) < MIN_EXAMPLES]
        if self.latin_arabic < MIN_LATIN_ARABIC:
            gaps.append(f"arabizi < {MIN_LATIN_ARABIC}")
        if self.answers is not None:
            gaps += [f"no {lang} answer" for lang in REQUIRED if not self.answers.get(lang)]
        return gaps


def coverage(faq: Faq) -> list[Coverage]:
    examples: dict[str, dict[str, list[str]]] = {}
    for text, lang, intent in faq.examples():
        examples.setdefault(intent, {}).setdefault(lang, []).append(text)
    intents = load_intents()
    rows = []
    for intent in list(intents) + [i for i in faq.entries if i not in intents]:
        by_lang = examples.get(intent, {})
        entry = faq.entries.get(intent)
        rows.append(
            Coverage(
                intent=intent,
                route=intents[intent].route if intent in intents else "answer",
                examples={lang: len(by_lang.get(lang, [])) for lang in SPOKEN},
                latin_arabic=sum(arabic_share(t) < 0.5 for t in by_lang.get("ar", [])),
                answers={lang: bool(entry.answer.get(lang)) for lang in SPOKEN} if entry else None,
            )
        )
    return rows


def render(rows: list[Coverage]) -> str:
    header = f"{'intent':<24} {'route':<9} {'fr':>4} {'es':>4} {'ar':>4} {'(latin)':>8} {'en':>4}  answers      gaps"
    lines = [header, "-" * len(header)]
    for row in rows:
        answers = "—" if row.answers is None else " ".join(lang if ok else "··" for lang, ok in row.answers.items())
        counts = row.examples
        lines.append(
            f"{row.intent:<24} {row.route:<9} {counts['fr']:>4} {counts['es']:>4} {counts['ar']:>4} "
            f"{row.latin_arabic:>8} {counts['en']:>4}  {answers:<12} {', '.join(row.gaps) or 'ok'}"
        )
    return "\n".join(lines)
