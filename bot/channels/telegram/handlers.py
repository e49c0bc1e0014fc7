"""The Telegram channel: python-telegram-bot handlers between Telegram updates and the engine.

Private chats only: a person's conversation never happens in a group. The staff group
(STAFF_CHAT_ID) gets through the screen for the staff side to handle; every other group is
ignored. Nothing per person is kept here — PTB handles several updates at once, and a restart
must lose nothing — so all state lives in the engine's database.

Privacy: nothing here logs a message text, a name, a username or a person's id. The engine
receives the Telegram ids and turns them into a pseudonym at once. A group's id, which is no
one's, is logged once, so that the team can find the one STAFF_CHAT_ID needs.
"""

import asyncio
import logging
from collections.abc import Coroutine
from contextlib import suppress
from typing import Any

from telegram import Bot, BotCommand, CallbackQuery, LinkPreviewOptions, Message, Update, User
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.channels.telegram.render import MAX_TEXT, html_text, inline_keyboard, split_text, telegram_length
from bot.engine import Engine
from bot.i18n import Catalogs, Translator
from bot.inbox.handling import CURRENT
from bot.inbox.replies import REPLY_LEASE, deliver_stored
from bot.languages import DEFAULT, SPOKEN
from bot.messages import Delivered, DeliveryResult, InboundMessage, MessageKind, Reply, RetryLater, Undeliverable

log = logging.getLogger(__name__)

CHANNEL = "telegram"
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
"""What the bot asks Telegram for: nothing it would only throw away."""
COMMANDS = ("start", "menu", "language", "help", "privacy", "forget")
PRIVATE = filters.ChatType.PRIVATE
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
"""A link preview shows a site's title and picture in big: not discreet, and not needed."""

RETRY_AFTER_NETWORK_ERROR = 30.0
"""Seconds before a reply that met a network error is sent again (by the outbox)."""

TYPING_AFTER = 0.4
"""Seconds of work before "typing" shows. A quicker answer needs none, and each call counts
against Telegram's limit of 30 messages a second and costs the person's data."""

_ATTACHMENT_KINDS: tuple[tuple[str, MessageKind], ...] = (
    ("sticker", "sticker"),
    ("voice", "voice"),
    ("audio", "voice"),
    ("photo", "photo"),
    ("video", "video"),
    ("video_note", "video"),
    ("animation", "video"),
    ("document", "document"),
    ("venue", "location"),
    ("location", "location"),
    ("contact", "contact"),
)
"""In this order: an animation also carries a document, a venue also carries a location."""


def kind_of(message: Message) -> MessageKind:
    if message.text is not None:
        return "text"
    return next((kind for attribute, kind in _ATTACHMENT_KINDS if getattr(message, attribute)), "other")


def bot_commands(t: Translator) -> list[BotCommand]:
    descriptions = {
        "start": t.gettext("Start: welcome and choice of language"),
        "menu": t.gettext("The topics I can answer"),
        "language": t.gettext("Change the language"),
        "help": t.gettext("How to use the bot"),
        "privacy": t.gettext("What the bot keeps about you"),
        "forget": t.gettext("Erase everything about you"),
    }
    return [BotCommand(command, descriptions[command]) for command in COMMANDS]


async def publish_commands(bot: Bot, catalogs: Catalogs) -> None:
    """The command menu in each language, by the language of the person's Telegram app; French otherwise."""
    for lang in SPOKEN:
        await bot.set_my_commands(bot_commands(catalogs.translator(lang)), language_code=lang)
    await bot.set_my_commands(bot_commands(catalogs.translator(DEFAULT)))


class TelegramHandlers:
    """The Application's handlers for people's chats: each update through the engine, its replies back."""

    def __init__(self, engine: Engine, staff_chat_id: int | None):
        self.engine = engine
        self.staff_chat_id = staff_chat_id
        self._groups_named: set[int] = set()

    def register(self, application: Application) -> None:
        """The handlers, in the way of PTB's examples; the screen runs first (group -1)."""
        application.add_handler(TypeHandler(Update, self.screen), group=-1)
        application.add_handler(CommandHandler(COMMANDS, self.on_text, filters=PRIVATE))
        application.add_handler(MessageHandler(PRIVATE & filters.TEXT, self.on_text))
        application.add_handler(MessageHandler(PRIVATE & filters.ATTACHMENT, self.on_attachment))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_error_handler(self.on_error)

    async def screen(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stops what is not for the conversation: other groups.

        An update delivered a second time is not stopped here: the engine and the staff desk
        note each update_id in the transaction that handles it, so an update whose handling
        failed is handled again when Telegram delivers it again.
        """
        chat = update.effective_chat
        if chat is None or not (chat.type == ChatType.PRIVATE or chat.id == self.staff_chat_id):
            if chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
                self._name_group(chat.id)
            raise ApplicationHandlerStop

    def _name_group(self, chat_id: int) -> None:
        """The bootstrap of the staff group: its id is in the log the first time it speaks (README, "The staff side")."""
        if chat_id not in self._groups_named:
            self._groups_named.add(chat_id)
            log.info("A message from the group %s was ignored: set STAFF_CHAT_ID=%s if it is the staff group.", chat_id, chat_id)

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A question or a command; an edited message is answered as the question it now asks."""
        message = update.effective_message
        assert message is not None and message.text is not None
        await self._converse(update, context, "text", text=message.text)

    async def on_attachment(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A sticker, a voice note, a photo…: the engine says, in the person's language, that it reads text."""
        message = update.effective_message
        assert message is not None
        await self._converse(update, context, kind_of(message))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The query is answered (it stops the spinner on the button) and the choice shown while the engine works."""
        query = update.callback_query
        chat = update.effective_chat
        if query is None or query.data is None or chat is None or chat.type != ChatType.PRIVATE:
            return
        await self._converse(update, context, "button", payload=query.data, meanwhile=(_answer(query), _mark_chosen(query)))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Logs without the update (it holds text and ids), and tells the person instead of leaving them waiting."""
        if isinstance(context.error, Forbidden):
            log.info("A reply was not delivered: the person has blocked the bot.")
            return
        handling = CURRENT.get()
        if handling is not None and not handling.handled:
            handling.error = context.error  # the inbox worker tries again, and tells the person if it gives up
            return
        log.error("Handling a Telegram update failed.", exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None or update.effective_chat.type != ChatType.PRIVATE:
            return
        t = self.engine.catalogs.translator(_app_language(update.effective_user))
        with suppress(TelegramError):
            await context.bot.send_message(
                update.effective_chat.id,
                html_text(t.gettext("Sorry, something went wrong on my side. Please write your message again in a moment.")),
                parse_mode=ParseMode.HTML,
            )

    async def _converse(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        kind: MessageKind,
        text: str = "",
        payload: str | None = None,
        meanwhile: tuple[Coroutine[Any, Any, None], ...] = (),
    ) -> None:
        """The engine's replies, sent in order; "typing" (if it is slow) and the `meanwhile` calls go out while it works."""
        user, chat = update.effective_user, update.effective_chat
        assert user is not None and chat is not None
        handling = CURRENT.get()
        message = InboundMessage(
            CHANNEL, external_id=str(user.id), address=str(chat.id), kind=kind, text=text, payload=payload,
            edited=update.edited_message is not None, delivery_id=str(update.update_id),
            inbox_id=handling.item_id if handling is not None else None,
        )
        answered = asyncio.Event()
        side_calls = [asyncio.create_task(call) for call in (_typing_unless(answered, context.bot, chat.id), *meanwhile)]
        try:
            if handling is not None:
                stored = await self.engine.handle_stored(message, REPLY_LEASE)
                handling.handled = True
            else:
                replies = await self.engine.handle(message)
        finally:
            answered.set()
            await asyncio.gather(*side_calls)
        if handling is not None:
            await deliver_stored(self.engine.storage, TelegramSender(context.bot), str(chat.id), stored, self.engine.clock)
            return
        for reply in replies:
            await send_reply(context.bot, chat.id, reply)


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> None:
    """One Reply as one or more messages; the buttons go with the last piece."""
    pieces = split_text(reply.text)
    keyboard = inline_keyboard(reply.quick_replies)
    for number, piece in enumerate(pieces, start=1):
        await bot.send_message(
            chat_id,
            html_text(piece),
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard if number == len(pieces) else None,
            protect_content=reply.discreet,
            link_preview_options=NO_PREVIEW,
        )


class TelegramSender:
    """The outbox's way to a person on Telegram (staff replies, notices)."""

    def __init__(self, bot: Bot):
        self.bot = bot

    async def send(self, address: str, reply: Reply) -> DeliveryResult:
        try:
            await send_reply(self.bot, int(address), reply)
        except RetryAfter as error:
            return RetryLater(_seconds(error.retry_after))
        except Forbidden:
            return Undeliverable("blocked")
        except BadRequest:
            return Undeliverable("invalid")
        except (TimedOut, NetworkError):
            return RetryLater(RETRY_AFTER_NETWORK_ERROR)
        return Delivered()

    async def announce_held(self, address: str, lang: str) -> DeliveryResult:
        """Telegram has no window: nothing is ever held."""
        return Delivered()


def _seconds(retry_after: object) -> float:
    return retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else float(retry_after)  # type: ignore[arg-type]


async def _mark_chosen(query: CallbackQuery) -> None:
    """Writes the choice under the question and takes its buttons away, as a chat shows an answer.

    The history then reads as a conversation, and a choice such as "Yes, erase everything"
    cannot be pressed twice.
    """
    message = query.message
    if not isinstance(message, Message) or message.text is None or message.reply_markup is None:
        return
    buttons = (button for row in message.reply_markup.inline_keyboard for button in row)
    label = next((button.text for button in buttons if button.callback_data == query.data), None)
    if label is None or telegram_length(f"{message.text}\n\n→ {label}") > MAX_TEXT:
        return
    with suppress(TelegramError):
        await message.edit_text(
            f"{message.text_html}\n\n→ {html_text(label)}", parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
        )


async def _answer(query: CallbackQuery) -> None:
    """Telegram refuses an answer that comes too late; the reply itself must still go out."""
    with suppress(TelegramError):
        await query.answer()


async def _typing_unless(answered: asyncio.Event, bot: Bot, chat_id: int) -> None:
    """Shows "typing" once TYPING_AFTER has passed without an answer; never after the answer, which it would seem to follow.

    Cosmetic: a failure here must not cost the person their answer.
    """
    with suppress(TimeoutError):
        await asyncio.wait_for(answered.wait(), TYPING_AFTER)
        return
    with suppress(TelegramError):
        await bot.send_chat_action(chat_id, ChatAction.TYPING)


def _app_language(user: User | None) -> str | None:
    """The language of the person's Telegram app ("es", "ar-EG"…), for when the engine could not say."""
    return user.language_code.split("-")[0] if user and user.language_code else None
