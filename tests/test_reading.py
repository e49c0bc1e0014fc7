"""A person reads the bot in the script they write: Darija in Latin letters gets Latin letters."""

from bot.engine import payloads
from bot.languages import LATIN_ARABIC

ARABIZI_PREP = "salam khti, bghit nfham chno hiya had la prep"
ARABIZI_PEP = "capote t9at3at lbare7 m3a wa7ed, chno ndir daba"


async def test_arabizi_gets_the_answer_in_latin_letters(send, faq):
    replies = await send(ARABIZI_PREP)
    assert faq.entries["prep.info"].answer.get(LATIN_ARABIC)
    assert replies[0].text == faq.text(faq.entries["prep.info"].answer, LATIN_ARABIC)


async def test_arabizi_is_offered_arabic_script_once(send):
    first = await send(ARABIZI_PREP)
    second = await send(ARABIZI_PEP)
    assert payloads.script("arabic") in first.payloads
    assert payloads.script("arabic") not in second.payloads


async def test_choosing_arabic_script_keeps_it_for_arabizi_messages(send, faq):
    await send(ARABIZI_PREP)
    await send(payload=payloads.script("arabic"))
    replies = await send(ARABIZI_PEP)
    assert replies[0].text == faq.answer("pep.urgent", "ar")


async def test_arabic_script_gets_arabic_script(send, faq):
    replies = await send("السلام، شنو هي البريب وكيفاش كتخدم؟")
    assert replies[0].text == faq.answer("prep.info", "ar")


async def test_a_crisis_in_arabizi_gets_the_emergency_reply_in_latin_letters(send, faq):
    replies = await send("sa7bi khda l G w ma bghach yfi9 3awnouni")
    assert replies[0].text == faq.text(faq.entries["crisis.medical"].answer, LATIN_ARABIC)
