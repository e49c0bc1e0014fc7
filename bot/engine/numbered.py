"""Choices without buttons: the replies list them with numbers, and a number written back picks one.

Bridges to WhatsApp or Signal cannot show buttons reliably. On those channels the turn's quick
replies are numbered across all its replies (1, 2, 3… as the person reads them) and written into
the text, so that the stored reply, sent now or retried by the outbox later, always shows the
same numbers; the payloads behind them are kept with the person (`state["choices"]`), for the
next message only. A number with nothing behind it is read as text, as it would be anywhere else.
"""

from dataclasses import replace

from bot.i18n import Translator
from bot.messages import InboundMessage, Reply
from bot.storage.models import User

CHOICES = "choices"


def picked(message: InboundMessage, user: User) -> InboundMessage:
    """The message as the button it stands for, when it is a bare number of the last list ("2", "٢", " 2. ")."""
    choices = user.state.get(CHOICES)
    written = message.text.strip().rstrip(".)")
    if not message.numbered or message.kind != "text" or not isinstance(choices, list) or not written.isdecimal():
        return message
    number = int(written)
    if not 1 <= number <= len(choices):
        return message
    return replace(message, kind="button", payload=str(choices[number - 1]), text="")


def numbered(replies: list[Reply], user: User, t: Translator) -> list[Reply]:
    """The replies with their choices numbered and written out; the person keeps this turn's list, or none."""
    shown: list[str] = []
    result = []
    for reply in replies:
        if not reply.quick_replies:
            result.append(reply)
            continue
        quick = tuple(replace(q, number=len(shown) + index) for index, q in enumerate(reply.quick_replies, start=1))
        shown += [q.payload for q in quick]
        lines = "\n".join(f"{q.number}. {q.label}" for q in quick)
        text = f"{reply.text}\n\n{t.gettext('Reply with a number:')}\n{lines}"
        result.append(replace(reply, text=text, quick_replies=quick))
    state = {key: value for key, value in user.state.items() if key != CHOICES}
    user.state = {**state, CHOICES: shown} if shown else state
    return result
