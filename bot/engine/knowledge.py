"""The FAQ and the NLU trained on it, switched together when an edit is reloaded."""

from bot.faq.model import Faq
from nlu.protocol import NLUBackend


class Knowledge:
    """Shared by the engine and the staff desk; a message being handled keeps the pair it started with."""

    def __init__(self, faq: Faq, nlu: NLUBackend):
        self._pair = (faq, nlu)

    def use(self, faq: Faq, nlu: NLUBackend) -> None:
        self._pair = (faq, nlu)

    @property
    def pair(self) -> tuple[Faq, NLUBackend]:
        return self._pair

    @property
    def faq(self) -> Faq:
        return self._pair[0]
