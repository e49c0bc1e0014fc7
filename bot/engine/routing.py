"""A text message read in the light of the conversation: which route it takes, in which order.

The NLU reads a message alone; the conversation decides what it means. A reply to "are you
safe?", a "how much?" after an answer, an "ok" after a crisis reply or while the team has the
request: each is answered as what it is, not as a new question. Crisis words always win, and so
does a person from the team who is answering (the bot keeps quiet).
"""

from bot.engine import answers, crisis, handover, language_choice, memory, unanswered
from bot.engine.crisis import SAFETY_CHECK
from bot.engine.fallback import not_understood, understood
from bot.engine.turn import Turn
from bot.languages import SPOKEN
from handover.queue import URGENT_INTENTS
from nlu.context import ACK, COST, NO, WHERE
from nlu.intents import Route
from nlu.parse import Parse

SMALL_TALK = ("greet", "thanks", "goodbye")


async def read(turn: Turn, text: str) -> None:
    """Answer a text message: the NLU's parse, then the conversation's light on it, crisis first."""
    state = dict(turn.user.state)
    awaiting = state.pop("awaiting", None)
    checked = state.pop(SAFETY_CHECK, None)
    turn.user.state = state
    parse = await turn.nlu.parse(text, lang_hint=turn.user.language)
    language_choice.follow_language(turn, parse)
    language_choice.follow_script(turn, text)
    turn.intent, turn.route = parse.intent, parse.route
    await handover.relay(turn, text)
    if handover.staff_answering(turn) and parse.route != Route.HANDOVER:
        # A person from the team is answering: the bot keeps quiet (commands and crisis still work).
        turn.route = Route.RELAY
        return
    if checked is not None and awaiting == SAFETY_CHECK and parse.route != Route.HANDOVER:
        kind = turn.faq.context.kind_of(text)
        if kind in (NO, ACK):
            await crisis.safety_answered(turn, safe=kind == ACK, crisis=checked)
            return
    if await _in_context(turn, parse, text):
        turn.route = Route.CONTEXT
        return
    if parse.lang not in SPOKEN:
        if turn.user.language is None:
            turn.speak(language_choice.OTHER_LANGUAGES_READ)
        if parse.route != Route.HANDOVER:
            turn.route = Route.FALLBACK
            language_choice.languages_spoken(turn)
            if parse.crisis_hint is not None:
                crisis.ask_if_safe(turn, parse.crisis_hint)
            return
    if parse.crisis_hint is not None and parse.route == Route.FALLBACK:
        crisis.ask_if_safe(turn, parse.crisis_hint)
        return
    match parse.route:
        case Route.HANDOVER:
            await crisis.raise_handover(turn, parse.intent, text)
        case Route.ANSWER if parse.intent in turn.faq.entries:
            answers.answer(turn, parse.intent, also=answers.second_question(turn, parse))
            if parse.crisis_hint is not None:
                crisis.ask_if_safe(turn, parse.crisis_hint)
        case Route.META:
            await answers.meta(turn, parse.intent, text)
        case _:
            turn.route = Route.FALLBACK
            not_understood(turn)
    await unanswered.note(turn, parse, text)
    if parse.route != Route.FALLBACK:
        understood(turn)
    if turn.route != Route.HANDOVER and turn.intent not in URGENT_INTENTS:
        # Never after an emergency: four language buttons under it would bury what to do.
        language_choice.offer_language(turn)


async def _in_context(turn: Turn, parse: Parse, text: str) -> bool:
    """Answer a message that only makes sense after the last reply; False when it stands alone.

    Crisis words always win: "il s'est réveillé mais respire mal" is a new emergency.
    """
    state, context = turn.user.state, turn.faq.context
    seen = memory.recall_intent(state, memory.CRISIS, turn.now)
    if parse.route == Route.HANDOVER and parse.safety_rule:
        return False
    if seen == "crisis.medical" and context.says_it_is_over(text):
        crisis.emergency_over(turn)
        return True
    if parse.route == Route.HANDOVER:
        return False
    kind = context.kind_of(text)
    last = memory.recall(state, memory.LAST_ANSWER, turn.now)
    if kind in (COST, WHERE) and last is not None and last["intent"] in turn.faq.entries:
        answers.follow_up(turn, last["intent"], kind, given=last.get("given", []))
        return True
    unclear = kind == ACK or parse.route == Route.FALLBACK or parse.intent in SMALL_TALK
    if seen is not None and unclear:
        await crisis.stay_with_the_person(turn)
        return True
    if turn.open_request is not None and (kind == ACK or parse.route == Route.FALLBACK):
        await handover.request_is_kept(turn)
        return True
    return False
