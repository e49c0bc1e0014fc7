"""Channels without buttons: choices are numbered in the text, and a number written back picks one."""

import pytest

from bot.engine import Engine, payloads
from bot.messages import InboundMessage, QuickReply, Reply, reply_from_body, reply_to_body
from conftest import Replies


@pytest.fixture
def write(engine: Engine):
    """write("text") as a person on a bridge (no buttons)."""

    async def _write(text: str, person: str = "32470000111") -> Replies:
        return Replies(await engine.handle(InboundMessage("bridge", person, person, text=text, numbered=True)))

    return _write


async def test_choices_are_numbered_across_the_turn_and_written_in_the_text(write):
    replies = await write("bonjour, c'est quoi la prep ?")
    numbers = [q.number for reply in replies for q in reply.quick_replies]
    assert numbers == list(range(1, len(numbers) + 1))
    last = replies[-1]
    for quick in last.quick_replies:
        assert f"{quick.number}. {quick.label}" in last.text


async def test_a_number_written_back_picks_that_choice(write, faq):
    first = await write("bonjour, c'est quoi la prep ?")
    chosen = next(q for reply in first for q in reply.quick_replies if q.payload.startswith("faq:"))
    replies = await write(str(chosen.number))
    assert replies[0].text.startswith(faq.answer(payloads.parse(chosen.payload).argument, "fr"))


async def test_arabic_indic_digits_pick_a_choice_too(write):
    first = await write("bonjour, c'est quoi la prep ?")
    spanish = next(q for reply in first for q in reply.quick_replies if q.payload == payloads.language("es"))
    replies = await write("".join("٠١٢٣٤٥٦٧٨٩"[int(digit)] for digit in str(spanish.number)))
    assert replies[0].lang == "es"


async def test_a_number_beyond_the_list_is_read_as_text(write):
    await write("bonjour, c'est quoi la prep ?")
    replies = await write("99")
    assert replies and not replies[0].text.startswith("Voici l'essentiel")


async def test_a_number_on_a_channel_with_buttons_is_text(send):
    await send("bonjour, c'est quoi la prep ?")
    replies = await send("1")
    assert not any(q.number for reply in replies for q in reply.quick_replies)


def test_the_numbers_survive_the_outbox():
    reply = Reply("Choisis :\n1. PrEP", "fr", (QuickReply("PrEP", payloads.faq("prep.info"), number=1),))
    assert reply_from_body(reply_to_body(reply)) == reply


def test_replies_stored_before_numbers_existed_still_read():
    assert reply_from_body({"text": "Menu", "lang": "fr", "quick_replies": [["Menu", "menu"]]}).quick_replies == (QuickReply("Menu", "menu"),)
