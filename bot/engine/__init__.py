"""The conversation engine (channel-agnostic)."""

from bot.engine.conversation import Engine

__all__ = ["Engine"]
