"""The questions the bot could not answer, grouped by likeness, so that the FAQ editors see what to add first.

Likeness is the cosine of character n-gram TF-IDF vectors (3 to 5 letters within words): it
holds across spelling mistakes, Darija in Latin letters and missing accents, which word-based
likeness would not. A question joins the first group whose first question is close enough to it
(leader clustering): a few hundred questions a month take milliseconds.
"""

from collections import Counter
from dataclasses import dataclass, field

from sklearn.feature_extraction.text import TfidfVectorizer

from bot.storage.unanswered import Unanswered

CLOSE_ENOUGH = 0.5


@dataclass
class Group:
    questions: list[Unanswered] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def guessed(self) -> str:
        """The intent the bot guessed most often for these questions."""
        return Counter(q.intent or "?" for q in self.questions).most_common(1)[0][0]

    @property
    def languages(self) -> str:
        return ", ".join(language for language, _ in Counter(q.language or "?" for q in self.questions).most_common())

    def examples(self, count: int = 3) -> list[str]:
        return list(dict.fromkeys(q.text for q in self.questions))[:count]


def grouped(questions: list[Unanswered], close_enough: float = CLOSE_ENOUGH) -> list[Group]:
    """The groups, the largest first."""
    if not questions:
        return []
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True).fit_transform([q.text for q in questions])
    leaders: list[int] = []
    groups: list[Group] = []
    for index, question in enumerate(questions):
        if leaders:
            likeness = (vectors[leaders] @ vectors[index].T).toarray().ravel()
            best = int(likeness.argmax())
            if likeness[best] >= close_enough:
                groups[best].questions.append(question)
                continue
        leaders.append(index)
        groups.append(Group([question]))
    return sorted(groups, key=lambda group: -group.count)


def render(groups: list[Group], days: int) -> str:
    if not groups:
        return f"No question went unanswered in the last {days} days."
    lines = [f"Questions the bot could not answer well in the last {days} days, grouped by likeness (scrubbed of names, numbers and links):"]
    for group in groups:
        lines.append(f"\n{group.count:>4} ×  guessed intent: {group.guessed}  languages: {group.languages}")
        lines.extend(f"      « {example} »" for example in group.examples())
    return "\n".join(lines)
