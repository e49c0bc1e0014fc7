"""What the bot keeps about the person, said plainly, and /forget, which erases it.

Erasing everything is asked once more before it is done: a button pressed by mistake must not
lose a request to the team.
"""

from bot.engine import payloads
from bot.engine.menus import menu_button
from bot.engine.turn import Turn
from bot.messages import QuickReply

AWAITING_FORGET = "forget"
"""The person's state "awaiting" while the erasure waits for its confirmation."""


async def privacy(turn: Turn) -> None:
    t = turn.t
    waiting = len(await turn.repo.handover.open_of(turn.user))
    requests = t.ngettext(
        "You have {n} request with the team at the moment.", "You have {n} requests with the team at the moment.", waiting
    )
    turn.say(
        (requests + "\n" if waiting else "")
        + t.gettext(
            "What the bot keeps about you: a code name ({pseudonym}), your language, when you first and last wrote, "
            "and, if you ask for a person, your message for the team. Never your name, your number or your username.\n"
            "Statistics keep only the topic, the language and the time: no text, nothing that points to you.\n"
            "Who reads your messages: only the team's staff, when you ask for a person. "
            "Messages for the team are erased {days} days after the conversation is closed.\n"
            "/forget erases everything now, except those statistics (an emergency among them), which point to no one."
            , pseudonym=turn.user.pseudonym, days=turn.retention_days
        )
        + "\n"
        + t.gettext(
            "A question the bot could not answer is kept {days} days for the team to add its answer, "
            "without names, numbers or links; /forget erases it too.", days=turn.unanswered_days
        ),
        QuickReply(t.gettext("Erase everything"), payloads.FORGET_ASK),
        menu_button(turn),
    )


def ask_forget(turn: Turn) -> None:
    t = turn.t
    turn.user.state = {**turn.user.state, "awaiting": AWAITING_FORGET}
    turn.say(
        t.gettext("This erases everything the bot keeps about you, including your requests to the team. Are you sure?"),
        QuickReply(t.gettext("Yes, erase everything"), payloads.FORGET_YES),
        QuickReply(t.gettext("No, keep it"), payloads.FORGET_NO),
    )


async def forget(turn: Turn, confirmed: bool) -> None:
    """A "yes" erases only after the question; a "no" to it keeps everything; any other press asks it."""
    t = turn.t
    awaiting = turn.user.state.get("awaiting") == AWAITING_FORGET
    if not confirmed or not awaiting:
        if not confirmed and awaiting:
            turn.user.state = {k: v for k, v in turn.user.state.items() if k != "awaiting"}
            turn.say(t.gettext("Nothing was erased."), menu_button(turn))
        else:
            ask_forget(turn)
        return
    if turn.desk is not None:
        await turn.desk.person_forgot(turn.repo, await turn.repo.handover.open_of(turn.user))
    await turn.repo.people.forget(turn.user)
    turn.intent = "forget"
    turn.say(t.gettext("Done: everything the bot kept about you is erased. If you write again, it starts from zero."))
