"""The buttons most replies end with (topics, the menu, a person) and the menus they open.

A person who does not know what to write always has a way on: a topic, or someone from the team.
"""

from bot.engine import payloads
from bot.engine.turn import Turn
from bot.messages import QuickReply, Reply


def person_button(turn: Turn) -> QuickReply:
    return QuickReply(turn.t.gettext("Talk to a person"), payloads.HUMAN)


def menu_button(turn: Turn) -> QuickReply:
    return QuickReply(turn.t.gettext("Menu"), payloads.MENU)


def menu_buttons(turn: Turn, limit: int | None = 3) -> list[QuickReply]:
    """The first `limit` topics, then "All topics" and a person; every topic and nothing else without a limit."""
    topics = turn.faq.menu()
    shown = topics if limit is None else topics[:limit]
    buttons = [QuickReply(turn.faq.text(topic.title, turn.lang), payloads.topic(topic.id)) for topic in shown]
    if limit is not None and len(topics) > limit:
        buttons.append(QuickReply(turn.t.gettext("All topics"), payloads.MENU))
    if limit is not None:
        buttons.append(person_button(turn))
    return buttons


def menu(turn: Turn) -> None:
    turn.say(turn.t.gettext("Choose a topic:"), *menu_buttons(turn, limit=None))


def topic(turn: Turn, topic_id: str) -> None:
    faq = turn.faq
    chosen = next((x for x in faq.topics if x.id == topic_id), None)
    if chosen is None:
        menu(turn)
        return
    buttons = [QuickReply(faq.title(entry_id, turn.lang), payloads.faq(entry_id)) for entry_id in chosen.entry_ids]
    # Not the topic's title: "Drogues" on a locked screen would say too much.
    turn.replies.append(Reply(turn.t.gettext("Choose a question:"), turn.lang, tuple(buttons)))
