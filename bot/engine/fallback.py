"""What the bot says when it cannot answer: never a guess, and after two misses, a person.

A wrong answer about health or rights is worse than "I'm not sure I understood"; someone the bot
keeps misunderstanding is offered the team rather than the same menu again.
"""

from bot.engine.menus import menu_button, menu_buttons, person_button
from bot.engine.turn import Turn
from nlu.intents import Route

FALLBACKS_BEFORE_OFFERING_A_PERSON = 2


def not_understood(turn: Turn) -> None:
    t = turn.t
    count = int(turn.user.state.get("fallbacks", 0)) + 1
    turn.user.state = {**turn.user.state, "fallbacks": count}
    if count >= FALLBACKS_BEFORE_OFFERING_A_PERSON:
        turn.say(
            t.gettext("I still don't understand, sorry. Do you want a person from the team to answer you?"),
            person_button(turn),
            menu_button(turn),
        )
        return
    turn.say(
        t.gettext("I'm not sure I understood. I can answer questions on these topics, or you can ask for a person:"),
        *menu_buttons(turn),
    )


def understood(turn: Turn) -> None:
    """The count of misses starts again."""
    if turn.user.state.get("fallbacks"):
        turn.user.state = {k: v for k, v in turn.user.state.items() if k != "fallbacks"}


def empty(turn: Turn) -> None:
    turn.route = Route.FALLBACK
    turn.say(turn.t.gettext("Your message is empty. Write your question in a few words, or choose a topic."), *menu_buttons(turn))


def unsupported(turn: Turn) -> None:
    """A photo, a sticker, a voice message: the bot reads only text."""
    t = turn.t
    turn.route = Route.FALLBACK
    if turn.message.kind == "voice":
        text = t.gettext("I can only read text: write your question, or ask for a person.")
    else:
        text = t.gettext("I can only read text messages. Write your question in a few words, or choose a topic.")
    turn.say(text, person_button(turn), menu_button(turn))
