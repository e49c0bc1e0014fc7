"""Passing the person to the team: the request, its priority, and when someone will answer.

The request carries the most serious thing seen in the conversation (asking for a person after
the PEP answer keeps the PEP's priority), and the person is told honestly when a person will
answer: now, after the people waiting, or at the next permanence.
"""

from bot.engine import memory
from bot.engine.menus import menu_button
from bot.engine.turn import Turn
from bot.storage.models import HandoverRequest, HandoverStatus
from handover.queue import priority_for, raises, reason_for
from handover.schedule import describe
from nlu.intents import HUMAN_REQUEST


async def pass_on(turn: Turn, intent: str, text: str | None, crisis: bool) -> None:
    """A request to the team, or the open one kept (and raised when `intent` is more serious); the person is told what happens next.

    `text`: the message the team reads with the request, if the person wrote one.
    """
    t = turn.t
    most_serious = _most_serious(turn, intent)
    buttons = () if crisis else (menu_button(turn),)
    request = turn.open_request
    if request is not None:
        if _raise(request, most_serious) and crisis and turn.desk is not None:
            await turn.desk.crisis_raised(turn.repo, request)
        status = await what_happens_next(turn, request)
        kept = t.gettext("A person from the team is following your conversation.") if request.status == HandoverStatus.ACTIVE else t.gettext("Your message is with the team.")
        turn.say(kept + " " + status + _until_then(turn, crisis), *buttons)
        return
    in_hours = turn.schedule.is_open(turn.now) if turn.schedule is not None else None
    request = await turn.repo.handover.add_request(turn.user, reason_for(most_serious), priority_for(most_serious), text, turn.now, in_hours)
    turn.open_request = request
    if turn.desk is not None:
        await turn.desk.opened(turn.repo, turn.user, request)
    status = await what_happens_next(turn, request)
    meanwhile = "" if crisis else " " + t.gettext("You can keep asking me questions meanwhile.")
    turn.say(t.gettext("I have passed your message to the team.") + " " + status + _until_then(turn, crisis) + meanwhile, *buttons)


async def relay(turn: Turn, text: str) -> None:
    """Every message of a person with an open request reaches the team, whatever the bot answers."""
    if turn.open_request is not None and turn.desk is not None:
        await turn.desk.relay_from_person(turn.repo, turn.open_request, text, edited=turn.message.edited)


def staff_answering(turn: Turn) -> bool:
    """A person from the team has taken the request: the bot keeps quiet."""
    return turn.open_request is not None and turn.open_request.status == HandoverStatus.ACTIVE


async def request_is_kept(turn: Turn) -> None:
    """A person waiting for the team is told their message is kept, not "I did not understand"."""
    request = turn.open_request
    assert request is not None
    status = await what_happens_next(turn, request)
    turn.say(turn.t.gettext("Your message is with the team.") + " " + status + _until_then(turn, crisis=False), menu_button(turn))


async def what_happens_next(turn: Turn, request: HandoverRequest) -> str:
    """Honest about when a person will answer: now, with the queue, or at the next permanence."""
    t, schedule = turn.t, turn.schedule
    if schedule is None:
        if not turn.has_fact("hours_online"):
            return t.gettext("A person will answer you here during the online permanence; your message is kept for them until then.")
        return t.gettext(
            "A person will answer you here during the online permanence ({hours}); your message is kept for them until then.",
            hours=turn.fact("hours_online"),
        )
    if schedule.is_open(turn.now):
        ahead = await turn.repo.handover.ahead_of(request)
        queue = (
            t.ngettext("{n} person is waiting before you.", "{n} people are waiting before you.", ahead)
            if ahead
            else t.gettext("You are next.")
        )
        return t.gettext("A member of the team will answer you here.") + " " + queue
    upcoming = schedule.next_openings(turn.now, count=1)
    if not upcoming:
        return t.gettext("Nobody from the team is online right now; they will read your message as soon as they can.")
    return t.gettext(
        "Nobody from the team is online right now: they will read your message {when}.",
        when=describe(upcoming[0].start, turn.lang, schedule.timezone),
    )


def note_serious(turn: Turn, intent: str) -> None:
    """An urgent answer (PEP): the open request, and any made later, carry its priority."""
    _most_serious(turn, intent)
    if turn.open_request is not None:
        _raise(turn.open_request, intent)


def _until_then(turn: Turn, crisis: bool) -> str:
    """Out of hours, what answers now: for a crisis, the numbers it has just been given."""
    if turn.schedule is None or turn.schedule.is_open(turn.now):
        return ""
    if crisis:
        return " " + turn.t.gettext("Until then, the numbers above answer at any hour.")
    return " " + turn.t.gettext("If it cannot wait, call {number} in an emergency.", number=turn.fact("emergency_number"))


def _most_serious(turn: Turn, intent: str) -> str:
    """The more serious of `intent` and what was seen lately; a serious `intent` is remembered."""
    seen = memory.recall_intent(turn.user.state, memory.SERIOUS, turn.now)
    if seen is not None and priority_for(seen) > priority_for(intent):
        return seen
    if priority_for(intent) > priority_for(HUMAN_REQUEST):
        turn.user.state = memory.remember(turn.user.state, memory.SERIOUS, intent, turn.now)
    return intent


def _raise(request: HandoverRequest, intent: str) -> bool:
    """Give the request `intent`'s reason and priority when that is more serious (handover/queue.py)."""
    if not raises(request.priority, request.reason, intent):
        return False
    request.priority, request.reason = priority_for(intent), reason_for(intent)
    return True
