"""Telegram's side of the handover: delivering to people outside a reply, and the staff group.

The staff group is a private supergroup with topics (STAFF_CHAT_ID): one topic per handover.
Only allow-listed staff accounts can act there (the desk checks); the bot reads nothing else.
"""

import logging

from telegram import Bot, Message, Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.channels.telegram.handlers import TelegramSender
from handover.commands import StaffCommands
from handover.staff import StaffMessage

log = logging.getLogger(__name__)

TOPIC_NAME_MAX = 128
"""Telegram's limit on a forum topic's name."""


class TelegramStaffRoom:
    """The staff group, one forum topic per handover."""

    def __init__(self, bot: Bot, chat_id: int):
        self.bot = bot
        self.chat_id = chat_id

    async def open_topic(self, title: str) -> int:
        topic = await self.bot.create_forum_topic(self.chat_id, title[:TOPIC_NAME_MAX])
        return topic.message_thread_id

    async def post(self, thread_id: int | None, text: str) -> None:
        await self.bot.send_message(self.chat_id, text, message_thread_id=thread_id)


def register_staff_group(application: Application, chat_id: int, commands: StaffCommands) -> None:
    """What staff write in the group goes to their commands, which ignore anyone not allow-listed."""

    async def on_staff_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        sender = update.effective_user
        if message is None or sender is None or not message.text:
            return
        thread = message.message_thread_id if message.is_topic_message else None
        await commands.on_staff_message(
            StaffMessage(
                sender.id, thread, message.text, edited=update.edited_message is not None, delivery_id=str(update.update_id),
                replies_to_colleague=_replies_to_colleague(message, context.bot.id),
            )
        )

    staff_text = filters.Chat(chat_id) & filters.TEXT
    application.add_handler(MessageHandler(staff_text & filters.UpdateType.MESSAGES, on_staff_message))


def _replies_to_colleague(message: Message, bot_id: int) -> bool:
    """A reply to a message the bot did not write: staff talking to each other (an anonymous admin's
    message counts too: its author is Telegram's helper bot, not this one).

    Telegram makes every message in a topic a reply to the topic's first message, which is the
    bot's: it opened the topic.
    """
    replied = message.reply_to_message
    return replied is not None and (replied.from_user is None or replied.from_user.id != bot_id)


__all__ = ["TelegramSender", "TelegramStaffRoom", "register_staff_group"]
