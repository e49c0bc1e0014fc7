"""What a person sees of a Reply on Telegram: escaped HTML, pieces within 4096 characters, buttons, protection."""

import pytest
from telegram import Bot, Message

from bot.channels.telegram.handlers import kind_of, send_reply
from bot.channels.telegram.render import MAX_TEXT, inline_keyboard, split_text, telegram_length
from bot.messages import QuickReply, Reply
from fakes.telegram_api import BOT_USER, LOCATION, PHOTO, STICKER, VOICE

CHAT = 4242


def test_short_text_is_one_piece():
    assert split_text("Bonjour !\nÇa va ?") == ["Bonjour !\nÇa va ?"]


def test_long_text_is_cut_between_lines_within_the_limit():
    lines = [f"Ligne {n} : " + "x" * 90 for n in range(200)]
    pieces = split_text("\n".join(lines))
    assert len(pieces) > 1
    assert all(telegram_length(piece) <= MAX_TEXT for piece in pieces)
    assert "\n".join(pieces).split("\n") == lines


def test_a_line_longer_than_the_limit_is_cut_between_words():
    line = " ".join(["mot"] * 3000)
    pieces = split_text(line)
    assert all(telegram_length(p) <= MAX_TEXT for p in pieces) and " ".join(pieces) == line


def test_emoji_count_twice_as_telegram_counts_them():
    pieces = split_text("🙂" * 3000)
    assert [len(p) for p in pieces] == [2048, 952]


def test_blank_text_sends_nothing():
    assert split_text("\n \n") == []


def test_buttons_become_one_row_each_and_an_oversized_payload_is_left_out(caplog):
    keyboard = inline_keyboard([QuickReply("PrEP", "faq:prep.info"), QuickReply("Trop long", "faq:" + "x" * 61)])
    assert keyboard is not None
    assert [[b.callback_data for b in row] for row in keyboard.inline_keyboard] == [["faq:prep.info"]]
    assert "payload is over 64 bytes" in caplog.text


def test_no_buttons_no_keyboard():
    assert inline_keyboard([]) is None


async def test_a_reply_is_sent_escaped_split_and_protected_with_its_buttons_last(bot_api):
    text = "Prix < 10 € & gratuit <b>parfois</b>\n" + "\n".join("y" * 100 for _ in range(60))
    async with Bot(bot_api.token, base_url=f"{bot_api.url}/bot") as bot:
        await send_reply(bot, CHAT, Reply(text, "fr", (QuickReply("Menu", "menu"),), discreet=True))

    sent = bot_api.sent(CHAT)
    assert len(sent) == 2
    assert "\n".join(bot_api.texts(CHAT)) == text
    assert [bool(p.get("reply_markup")) for p in sent] == [False, True]
    assert all(p["protect_content"] is True and p["link_preview_options"] == {"is_disabled": True} for p in sent)


@pytest.mark.parametrize(
    ("content", "kind"),
    [({"text": "salut"}, "text"), (STICKER, "sticker"), (VOICE, "voice"), (PHOTO, "photo"), (LOCATION, "location"),
     ({"document": {"file_id": "d", "file_unique_id": "ud"}}, "document"),
     ({"contact": {"phone_number": "+32470000000", "first_name": "X"}}, "contact"),
     ({"dice": {"emoji": "🎲", "value": 3}}, "other")],
)
def test_what_a_person_sends_has_its_kind(content, kind):
    message = Message.de_json({"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "from": BOT_USER, **content}, None)
    assert kind_of(message) == kind
