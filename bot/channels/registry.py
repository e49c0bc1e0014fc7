"""The channels `outreach-bot run` knows, and which of them the settings turn on.

Adding a channel is a subpackage with a `Channel` (bot/channels/base.py) and one line here;
no other channel and not the engine change. Each is imported only when its settings are there.
"""

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from bot.channels.base import Channel, ChannelParts
from bot.settings import Settings


@dataclass(frozen=True)
class Registered:
    name: str
    configured: Callable[[Settings], bool]
    """Whether the settings ask for this channel."""
    builder: str
    """`module:callable` taking (Settings, ChannelParts) and returning the Channel."""
    settings: str
    """The settings that turn it on, for the sentence that says none is."""

    def build(self, settings: Settings, parts: ChannelParts) -> Channel:
        module, _, path = self.builder.partition(":")
        build: Any = import_module(module)
        for name in path.split("."):
            build = getattr(build, name)
        channel: Channel = build(settings, parts)
        return channel


CHANNELS = (
    Registered("telegram", lambda s: s.telegram_enabled, "bot.channels.telegram.channel:TelegramChannel", "TELEGRAM_BOT_TOKEN"),
    Registered("whatsapp", lambda s: s.whatsapp_enabled, "bot.channels.whatsapp.channel:WhatsAppChannel.from_settings", "the WHATSAPP_* settings"),
    Registered("bridge", lambda s: s.bridge_enabled, "bot.channels.bridge.channel:BridgeChannel.from_settings", "BRIDGE_SECRET and BRIDGE_SEND_URL"),
    Registered("waha", lambda s: s.waha_enabled, "bot.channels.waha.channel:WahaChannel.from_settings", "WAHA_URL"),
)


def configured(settings: Settings) -> list[Registered]:
    return [channel for channel in CHANNELS if channel.configured(settings)]
