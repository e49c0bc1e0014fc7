"""What the engine needs from an NLU backend (embedded or Rasa)."""

from typing import Protocol

from nlu.parse import Parse


class NLUBackend(Protocol):
    async def parse(self, text: str, lang_hint: str | None = None) -> Parse:
        """Language, intent, confidence and route of one message."""
        ...
