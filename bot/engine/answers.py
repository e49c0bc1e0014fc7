"""The bot's own answers: FAQ entries and their follow-ups, the welcome, help, and small talk.

Every answer comes from the FAQ the team wrote and checked; the bot adds only the way on
(related questions, "tell me more", a person). Answers about health, drugs or rights are sent
discreetly: a locked screen must not show them.
"""

from bot.engine import handover, language_choice, memory, payloads, privacy
from bot.engine.fallback import not_understood
from bot.engine.menus import menu_button, menu_buttons, person_button
from bot.engine.turn import Turn
from bot.messages import QuickReply
from handover.queue import URGENT_INTENTS
from nlu.parse import Parse

OPEN_TOPICS = ("services",)
"""Topics whose answers are not sensitive; every other answer is sent discreetly."""
SECOND_QUESTION = 0.2
"""A second intent this likely is a second question: its answer is offered as the first button."""


def answer(turn: Turn, entry_id: str, also: str | None = None) -> None:
    """`also`: the other question of a two-question message, offered first among the buttons."""
    faq, t = turn.faq, turn.t
    entry = faq.entries[entry_id]
    buttons = []
    if entry.more:
        buttons.append(QuickReply(t.gettext("Tell me more"), payloads.more(entry_id)))
    others = [also] if also is not None else []
    others += [other for other in entry.related if other != also][: 3 - len(others)]
    buttons += [QuickReply(faq.title(other, turn.lang), payloads.faq(other)) for other in others]
    buttons.append(person_button(turn))
    turn.say(faq.answer(entry_id, turn.reading), *buttons, discreet=entry.topic not in OPEN_TOPICS)
    turn.user.state = memory.remember(turn.user.state, memory.LAST_ANSWER, entry_id, turn.now)
    language_choice.offer_script(turn, entry_id)
    if entry_id in URGENT_INTENTS:
        handover.note_serious(turn, entry_id)


def second_question(turn: Turn, parse: Parse) -> str | None:
    """The other answer a message asks for ("where is the testing, and what are your hours?")."""
    second = next((r for r in parse.ranking[1:2] if r.intent in turn.faq.entries and r.intent != parse.intent), None)
    if second is None or second.confidence < SECOND_QUESTION or second.intent.startswith("crisis."):
        return None
    return second.intent


def more(turn: Turn, entry_id: str) -> None:
    faq = turn.faq
    entry = faq.entries[entry_id]
    buttons = [QuickReply(faq.title(other, turn.lang), payloads.faq(other)) for other in entry.related[:3]]
    buttons.append(person_button(turn))
    turn.say(faq.text(entry.more, turn.reading), *buttons, discreet=entry.topic not in OPEN_TOPICS)


def follow_up(turn: Turn, entry_id: str, kind: str, given: list[str]) -> None:
    """"How much?" or "where?" about the entry just read: its own answer, never the same text again."""
    faq, t = turn.faq, turn.t
    entry = faq.entries[entry_id]
    follow = entry.follow_ups.get(kind)
    turn.intent = entry_id
    if follow is not None and follow.see is not None:
        answer(turn, follow.see)
        return
    if follow is None or kind in given:
        turn.say(
            t.gettext("I have told you what I know on this question. A person from the team can give you the details."),
            person_button(turn),
            menu_button(turn),
        )
        return
    buttons = [QuickReply(faq.title(other, turn.lang), payloads.faq(other)) for other in entry.related[:2]]
    turn.say(faq.text(follow.text, turn.reading), *buttons, person_button(turn), discreet=entry.topic not in OPEN_TOPICS)
    turn.user.state = memory.remember(turn.user.state, memory.LAST_ANSWER, entry_id, turn.now, given=[*given, kind])


async def meta(turn: Turn, intent: str, text: str) -> None:
    """About the conversation itself: a greeting, thanks, goodbye, the bot, privacy, the language."""
    t = turn.t
    match intent:
        case "greet":
            welcome(turn, short=not turn.is_new)
        case "thanks":
            turn.say(t.gettext("You're welcome. I'm here at any hour if you have another question."), menu_button(turn))
        case "goodbye":
            turn.say(t.gettext("Take care of yourself. You can come back whenever you want."))
        case "bot.identity":
            turn.say(
                t.gettext(
                    "I'm a bot: my answers are automatic, written and checked by the team. "
                    "A person from the team answers here during the online permanence ({hours})."
                    , hours=turn.fact("hours_online")
                )
                if turn.has_fact("hours_online")
                else t.gettext(
                    "I'm a bot: my answers are automatic, written and checked by the team. "
                    "A person from the team answers here during the online permanence."
                ),
                person_button(turn),
                menu_button(turn),
            )
        case "privacy":
            await privacy.privacy(turn)
        case "language.change":
            language_choice.change(turn, text)
        case _:
            not_understood(turn)


def welcome(turn: Turn, short: bool) -> None:
    t = turn.t
    turn.intent = "greet"
    if short:
        turn.say(t.gettext("Hello! What can I do for you? Write your question, or choose a topic."), *menu_buttons(turn))
        return
    turn.say(
        t.gettext(
            "Hello, welcome! I'm the outreach team's bot. I answer questions about health, PrEP, testing, "
            "drugs, your rights and our services, at any hour, in French, Spanish, Arabic and English.\n"
            "Your messages are confidential: /privacy explains what is kept.\n"
            "In an emergency, call {number}."
            , number=turn.fact("emergency_number")
        ),
        *menu_buttons(turn),
    )


def help_(turn: Turn) -> None:
    turn.say(
        turn.t.gettext(
            "Write your question in your own words, in French, Spanish, Arabic or English. You can also use:\n"
            "/menu: the topics\n/language: change the language\n/privacy: what is kept about you\n"
            "/forget: erase everything about you"
        ),
        *menu_buttons(turn),
    )
