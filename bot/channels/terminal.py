"""Talking to the bot in a terminal: interactive, or scripted with one message per line."""

import asyncio
import sys
from typing import TextIO

from bot.engine import Engine
from bot.messages import InboundMessage, QuickReply, Reply
from bot.storage import Repository

CHANNEL = "terminal"
PERSON = "local"
"""The one person the terminal plays, the same at every run: their conversation goes on until `chat --new`."""


async def chat(engine: Engine, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, person: str = PERSON) -> None:
    """Each line is a message; typing the number of a choice presses that button.

    Lines are read in a thread so that the event loop keeps running (live FAQ reloads).
    """
    interactive = stdin.isatty()
    if interactive:
        stdout.write(
            "Write to the bot (Ctrl-D to quit). Type a number to choose one of the numbered answers.\n"
            "The bot remembers this conversation between runs; `outreach-bot chat --new` starts a new one.\n"
        )
    choices: list[QuickReply] = []
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        text = line.rstrip("\n")
        if not interactive:
            stdout.write(f"> {text}\n")
        message = _message(text, choices, person)
        replies = await engine.handle(message)
        choices = [q for reply in replies for q in reply.quick_replies]
        stdout.write(render(replies))
        stdout.flush()


async def start_afresh(engine: Engine, person: str = PERSON) -> bool:
    """Erase the person the terminal plays as /forget erases them (bot/engine/privacy.py), state and
    requests to the team included, so that the next message starts from zero; False if there was none.

    The terminal chat has no staff side, so there is no staff topic to tell.
    """
    pseudonym = engine.pseudonym_of(CHANNEL, person)

    async def erase(repo: Repository) -> bool:
        user = await repo.people.get(pseudonym)
        if user is not None:
            await repo.people.forget(user)
        return user is not None

    return await engine.storage.transaction(erase)


def _message(text: str, choices: list[QuickReply], person: str) -> InboundMessage:
    number = text.strip()
    if number.isdigit() and 1 <= int(number) <= len(choices):
        return InboundMessage(CHANNEL, person, person, kind="button", payload=choices[int(number) - 1].payload)
    return InboundMessage(CHANNEL, person, person, text=text)


def render(replies: list[Reply]) -> str:
    """Replies as text, with every quick reply numbered across the whole turn."""
    lines = []
    number = 0
    for reply in replies:
        lines.append(reply.text)
        for quick in reply.quick_replies:
            number += 1
            lines.append(f"  [{number}] {quick.label}")
        lines.append("")
    return "\n".join(lines) + "\n"
