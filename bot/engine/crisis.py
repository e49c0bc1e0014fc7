"""Crisis first: the emergency contacts at any hour, then the team; a crisis half seen gets "are you safe?".

A missed crisis is the worst thing the bot can do. Here is everything it says about one: the
reply to a crisis before the request to the team, the question when it only half sees one, and
what comes after ("ok", "he woke up"): presence and the numbers, never a menu.
"""

from bot.engine import handover, memory, payloads
from bot.engine.menus import menu_buttons, person_button
from bot.engine.turn import Turn
from bot.messages import QuickReply
from nlu.intents import Route

SAFETY_CHECK = "safety_check"
"""The person's state while "are you safe right now?" waits for an answer: the crisis it is about."""


async def raise_handover(turn: Turn, intent: str, text: str | None) -> None:
    """Crisis: the emergency contacts first, at any hour. Then the request goes to the team."""
    crisis = intent.startswith("crisis.")
    if crisis:
        if intent in turn.faq.entries:
            turn.say(turn.faq.answer(intent, turn.reading), discreet=True)
            turn.user.state = memory.remember(turn.user.state, memory.LAST_ANSWER, intent, turn.now)
        else:
            turn.say(turn.t.gettext("If you are in danger now, call {number}.", number=turn.fact("emergency_number")), discreet=True)
        turn.user.state = memory.remember(turn.user.state, memory.CRISIS, intent, turn.now)
    await handover.pass_on(turn, intent, text, crisis)


def ask_if_safe(turn: Turn, crisis: str) -> None:
    """A crisis half seen (an unclear message, a past violence, an idiom): one kind question, not a menu."""
    t = turn.t
    turn.user.state = {**turn.user.state, "awaiting": SAFETY_CHECK, SAFETY_CHECK: crisis}
    turn.say(
        t.gettext("Are you safe right now?"),
        QuickReply(t.gettext("Yes, I'm safe"), payloads.safe(True, crisis)),
        QuickReply(t.gettext("No"), payloads.safe(False, crisis)),
        person_button(turn),
        discreet=True,
    )


async def safety_answered(turn: Turn, safe: bool, crisis: str) -> None:
    """"No" is a crisis: the emergency contacts and the team, as if the person had said it."""
    turn.user.state = {k: v for k, v in turn.user.state.items() if k not in ("awaiting", SAFETY_CHECK)}
    if safe:
        turn.intent, turn.route = "thanks", Route.META
        turn.say(turn.t.gettext("Thank you for telling me. What can I do for you? Write your question, or choose a topic."), *menu_buttons(turn))
        return
    turn.intent, turn.route = crisis, Route.HANDOVER
    await raise_handover(turn, crisis, None)


def emergency_over(turn: Turn) -> None:
    """"He woke up": what to watch for now, and a person; no more "call 112 now"."""
    turn.intent = "crisis.medical"
    turn.user.state = memory.forget(turn.user.state, memory.CRISIS)
    entry = turn.faq.entries.get("crisis.medical")
    over = entry.follow_ups.get("over") if entry else None
    if over is not None and over.text:
        text = turn.faq.text(over.text, turn.reading)
    else:
        text = turn.t.gettext("I'm glad it is better. Stay with the person, and call {number} if it gets worse again.", number=turn.fact("emergency_number"))
    turn.say(text, person_button(turn), discreet=True)


async def stay_with_the_person(turn: Turn) -> None:
    """After a crisis reply, an "ok" or an unclear message gets presence, not a menu."""
    t = turn.t
    status = await handover.what_happens_next(turn, turn.open_request) if turn.open_request is not None else ""
    turn.say(
        t.gettext("I'm here.") + (" " + status if status else "") + " "
        + t.gettext("If you are in danger now, call {number}.", number=turn.fact("emergency_number")),
        discreet=True,
    )
