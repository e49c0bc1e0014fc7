"""What staff type in the staff group, turned into the desk's actions (handover/desk.py).

In a conversation's topic: /claim, /release, /transfer NAME, /close [OUTCOME], /note TEXT, /faq ID,
/snippet NAME, /block REASON, and any other text is a reply to the person — unless it is meant for the team: it
starts with "!", or it replies to a colleague's message; then it is kept as a note, never sent.
In the group's general topic: /queue, and /report PERIOD (2026-P1, 2026-03…; this month without one). Anywhere in the group: /id, the ids the settings need.
Only accounts on the allow-list (STAFF_IDS) are heard; anything else is ignored, whatever it
says, but for /id from an account not on the list: the log names the account for the operator
to add (it asked, in the team's own group). The Telegram channel hands every message of its
staff group here (bot/channels/telegram/staff.py); another front end would call the desk's
actions itself.
"""

import logging
from collections.abc import Awaitable, Callable, Mapping

from handover.desk import Desk
from handover.outcomes import choices, outcome_of
from handover.staff import StaffMessage

log = logging.getLogger(__name__)

INTERNAL = "!"
"""A message in a topic that starts with this is for the team: on every keyboard, and no sentence meant for a person starts with it."""


class StaffCommands:
    def __init__(self, desk: Desk, staff: Mapping[int, str], group_id: int, report: Callable[[str], Awaitable[str]] | None = None):
        """`staff`: the allow-list, account id → the alias the team knows them by; `group_id`: the staff group's, for /id;
        `report`: a period's summary (bot/reports/staff.py), which this layer cannot read itself."""
        self.desk = desk
        self.staff = dict(staff)
        self.group_id = group_id
        self.report = report

    async def on_staff_message(self, message: StaffMessage) -> None:
        command, _, argument = message.text.strip().partition(" ")
        command = command.split("@")[0].lower() if command.startswith("/") else ""
        alias = self.staff.get(message.staff_id)
        if alias is None:
            if command == "/id":
                log.info("An account not in STAFF_IDS sent /id in the staff group: add %s:NAME to STAFF_IDS if it is a member of the team.", message.staff_id)
            return
        argument, key = argument.strip(), message.delivery_id
        if command == "/id":
            ids = self.desk.t.gettext(
                "The staff group's id (STAFF_CHAT_ID) is {group}; yours (STAFF_IDS) is {account}, listed as {account}:{alias}.",
                group=self.group_id, account=message.staff_id, alias=alias,
            )
            await self.desk.say_in_thread(message.thread_id, ids)
            return
        if message.thread_id is None:
            if command == "/queue":
                await self.desk.show_queue(key)
            elif command == "/report" and self.report is not None:
                await self.desk.say_in_thread(None, await self.report(argument))
            return
        conversation = await self.desk.conversation_in_thread(message.thread_id)
        if conversation is None:
            await self.desk.say_in_thread(message.thread_id, self.desk.t.gettext("No conversation is linked to this topic."))
            return
        match command:
            case "/claim":
                await self.desk.take(conversation, alias, key)
            case "/release":
                await self.desk.release(conversation, alias, key)
            case "/transfer":
                await self._transfer(message.thread_id, conversation, alias, argument, key)
            case "/close":
                await self._close(message.thread_id, conversation, alias, argument, key)
            case "/note":
                await self.desk.note(conversation, alias, argument, key)
            case "/faq":
                await self.desk.send_faq(conversation, alias, argument, key)
            case "/snippet":
                await self.desk.send_snippet(conversation, alias, argument, key)
            case "/block":
                await self.desk.block(conversation, alias, argument, key)
            case "":
                await self._write(conversation, alias, message, key)
            case _:
                help_text = self.desk.t.gettext(
                    "Commands: /claim, /release, /transfer NAME, /close [OUTCOME], /note TEXT, /faq ID, /snippet NAME, /block REASON. "
                    "A message that starts with ! or replies to a colleague's message stays with the team; anything else you write is sent to the person."
                )
                await self.desk.say_in_thread(message.thread_id, help_text)

    async def _transfer(self, thread_id: int, conversation: int, alias: str, name: str, key: str | None) -> None:
        """To a colleague on the allow-list, named as the team knows them (any case)."""
        colleague = next((known for known in self.staff.values() if known.casefold() == name.casefold()), None)
        if colleague is None:
            names = ", ".join(sorted(set(self.staff.values())))
            await self.desk.say_in_thread(thread_id, self.desk.t.gettext("Transfer to whom? Write /transfer and one of: {names}", names=names))
            return
        await self.desk.transfer(conversation, alias, colleague, key)

    async def _close(self, thread_id: int, conversation: int, alias: str, argument: str, key: str | None) -> None:
        """/close, or /close with what came of it (a number or a key of handover/outcomes.py), which the report counts."""
        outcome = outcome_of(argument) if argument else None
        if argument and outcome is None:
            t = self.desk.t
            await self.desk.say_in_thread(thread_id, t.gettext("How did it end? Close with one of:") + "\n" + choices(t.gettext))
            return
        await self.desk.close(conversation, alias, outcome, key)

    async def _write(self, conversation: int, alias: str, message: StaffMessage, key: str | None) -> None:
        """Plain text goes to the person, unless it is meant for the team (see the module's docstring).

        Either way a staff member sees which it was: a note is confirmed in the topic. An edit
        follows the same rule, so a note edited with its "!" is never sent as a correction.
        """
        text = message.text.strip()
        if text.startswith(INTERNAL) or message.replies_to_colleague:
            await self.desk.note(conversation, alias, text.removeprefix(INTERNAL).strip(), key)
        else:
            await self.desk.reply(conversation, alias, message.text, message.edited, key)
