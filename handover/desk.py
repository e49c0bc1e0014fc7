"""The handover desk: between a person's conversation and the staff topic that follows it.

Staff see a pseudonym, the language and the reason — never a name, a number or an id. What a
staff member writes in the topic reaches the person in the organisation's voice (copied, not
forwarded), through whichever channel the person came from.
"""

from collections.abc import Callable, Mapping
from datetime import datetime

from bot.faq.model import Faq
from bot.i18n import Catalogs, Translator
from bot.languages import DEFAULT
from bot.messages import Reply, reply_to_body
from bot.storage import Repository, Storage
from bot.storage.models import HandoverRequest, OutboxMessage, User
from handover.outbox import STAFF
from handover.queue import PRIORITY_CRISIS, PRIORITY_URGENT
from handover.staff import StaffMessage

SUMMARY_MESSAGES = 5
TOPIC_TITLE_MAX = 128


class Desk:
    def __init__(
        self,
        storage: Storage,
        faq: Callable[[], Faq],
        catalogs: Catalogs,
        staff: Mapping[int, str],
        staff_lang: str,
        clock: Callable[[], datetime],
        wake: Callable[[], None] = lambda: None,
    ):
        self.storage = storage
        self.faq = faq
        self.catalogs = catalogs
        self.staff = dict(staff)
        self.t = catalogs.translator(staff_lang)
        self.clock = clock
        self.wake = wake

    # --- From the person's side (inside the engine's unit of work) ---------------------------------

    async def opened(self, repo: Repository, user: User, request: HandoverRequest) -> None:
        """A new handover: a topic for it in the staff group, starting with a summary."""
        t = self.t
        title = f"{user.pseudonym} · {user.language or '?'} · {request.reason}"[:TOPIC_TITLE_MAX]
        if request.text:
            await repo.add_handover_message(request, "person", request.text, request.created_at)
        lines = [
            t.gettext("Pseudonym: {pseudonym}", pseudonym=user.pseudonym),
            t.gettext("Language: {lang}", lang=user.language or "?"),
            t.gettext("Reason: {reason}", reason=request.reason),
            t.gettext("Priority: {priority}", priority=self._priority(request)),
            "",
            t.gettext("Last messages:"),
            *[self._line(m.author, m.staff_alias, m.text) for m in await repo.last_messages(request, SUMMARY_MESSAGES)],
            "",
            t.gettext("Write here to answer the person. Commands: /claim, /close, /note TEXT, /faq ID, /block REASON."),
        ]
        await repo.enqueue(STAFF, "", {"kind": "open_topic", "title": title, "text": "\n".join(lines)}, self.clock(), request=request)
        self.wake()

    async def relay_from_person(self, repo: Repository, request: HandoverRequest, text: str, edited: bool = False) -> None:
        now = self.clock()
        await repo.add_handover_message(request, "person", text, now)
        line = self.t.gettext("(edited) {text}", text=text) if edited else text
        await self._post(repo, request, self._line("person", None, line))

    async def crisis_raised(self, repo: Repository, request: HandoverRequest) -> None:
        """A conversation already with the team turns into a crisis: the topic must see it at once."""
        text = self.t.gettext("CRISIS ({reason}): the emergency contacts were shown to the person.", reason=request.reason)
        await self._post(repo, request, text)
        self.wake()

    async def person_forgot(self, repo: Repository, requests: list[HandoverRequest]) -> None:
        """The topics stay with the staff, unlinked, and say why they went quiet."""
        for request in requests:
            if request.staff_thread_id is not None:
                text = self.t.gettext("The person erased everything the bot kept about them (/forget). This topic is no longer linked to anyone.")
                await repo.enqueue(STAFF, str(request.staff_thread_id), {"kind": "post", "text": text}, self.clock())
        self.wake()

    # --- From the staff group ------------------------------------------------------------------------

    async def on_staff_message(self, message: StaffMessage) -> None:
        """Anything from an account not on the allow-list is ignored, whatever it says."""
        alias = self.staff.get(message.staff_id)
        if alias is None:
            return
        await self.storage.transaction(lambda repo: self._on_staff_message(repo, message, alias))
        self.wake()

    async def _on_staff_message(self, repo: Repository, message: StaffMessage, alias: str) -> None:
        if message.delivery_id is not None and not await repo.first_delivery(STAFF, message.delivery_id, self.clock()):
            return
        if message.thread_id is None:
            if message.text.strip().split(maxsplit=1)[:1] == ["/queue"]:
                await self.post_queue(repo, self.t.gettext("Conversations waiting or in progress:"))
            return
        request = await repo.request_in_thread(message.thread_id)
        if request is None:
            await self._post_thread(repo, message.thread_id, self.t.gettext("No conversation is linked to this topic."))
            return
        user = await repo.user_by_id(request.user_id)
        if user is not None:
            await self._act(repo, request, user, alias, message)

    async def _act(self, repo: Repository, request: HandoverRequest, user: User, alias: str, message: StaffMessage) -> None:
        t = self.t
        command, _, argument = message.text.strip().partition(" ")
        command = command.split("@")[0].lower() if command.startswith("/") else ""
        argument = argument.strip()
        if command == "/claim":
            if await repo.claim_request(request, alias, self.clock()):
                await self._post(repo, request, t.gettext("{alias} takes this conversation.", alias=alias))
                await self._tell_person(repo, user, request, lambda p: p.gettext("A member of the team is with you now. You can write here."))
            elif request.status == "active":
                await self._post(repo, request, t.gettext("Already taken by {alias}.", alias=request.staff_alias or "—"))
            else:
                await self._post(repo, request, t.gettext("This conversation is closed: nothing was sent."))
        elif command == "/close":
            if await repo.close_request(request, self.clock()):
                await self._post(repo, request, t.gettext("{alias} closed this conversation.", alias=alias))
                await self._tell_person(
                    repo, user, request, lambda p: p.gettext("The team has closed this conversation. You can write again here whenever you want.")
                )
        elif command == "/note":
            await repo.add_handover_message(request, "note", argument, self.clock(), staff_alias=alias)
            await self._post(repo, request, t.gettext("Note kept for the team (never sent to the person)."))
        elif command == "/faq":
            faq = self.faq()
            if argument not in faq.entries:
                await self._post(repo, request, t.gettext("Unknown FAQ id '{id}'. Known ids: {ids}", id=argument, ids=", ".join(sorted(faq.entries))))
                return
            lang = user.language or DEFAULT
            await self._send_person(repo, user, request, Reply(faq.answer(argument, lang), lang, discreet=True))
            await self._post(repo, request, t.gettext("FAQ answer {id} sent ({lang}).", id=argument, lang=lang))
        elif command == "/block":
            await repo.block(user, argument)
            await repo.close_request(request, self.clock())
            await self._post(repo, request, t.gettext("{alias} blocked this person: {reason}", alias=alias, reason=argument or "—"))
        elif command:
            await self._post(repo, request, t.gettext("Commands: /claim, /close, /note TEXT, /faq ID, /block REASON. Anything else you write is sent to the person."))
        else:
            await self._staff_reply(repo, request, user, alias, message)

    async def _staff_reply(self, repo: Repository, request: HandoverRequest, user: User, alias: str, message: StaffMessage) -> None:
        t = self.t
        if request.status == "closed":
            await self._post(repo, request, t.gettext("This conversation is closed: nothing was sent."))
            return
        if request.status == "waiting" and await repo.claim_request(request, alias, self.clock()):
            await self._post(repo, request, t.gettext("{alias} takes this conversation.", alias=alias))
        lang = user.language or DEFAULT
        person = self.catalogs.translator(lang)
        text = person.gettext("Correction: {text}", text=message.text) if message.edited else message.text
        await repo.add_handover_message(request, "staff", text, self.clock(), staff_alias=alias)
        await self._send_person(repo, user, request, Reply(text, lang, discreet=True))

    # --- Notices -----------------------------------------------------------------------------------------

    async def post_queue(self, repo: Repository, heading: str) -> None:
        requests = await repo.open_requests()
        lines = [heading]
        for request in requests:
            user = await repo.user_by_id(request.user_id)
            lines.append(
                f"• {user.pseudonym if user else '?'} · {user.language if user else '?'} · {request.reason} · "
                f"{self._priority(request)} · {request.status}"
            )
        if not requests:
            lines.append(self.t.gettext("Nobody is waiting."))
        await repo.enqueue(STAFF, "", {"kind": "post", "text": "\n".join(lines)}, self.clock())

    async def undelivered(self, row: OutboxMessage, reason: str) -> None:
        """The outbox gave up on a message to a person, or holds it: the topic says so."""
        t = self.t
        text = {
            "blocked": t.gettext("The person has blocked the bot: the message was not delivered."),
            "held": t.gettext(
                "WhatsApp's 24-hour window is closed: this reply is held and goes out as soon as the person writes again "
                "(WhatsApp only lets the bot tell them that an answer is waiting)."
            ),
            "window": t.gettext("WhatsApp's 24-hour window is closed and the person could not be told that an answer waits."),
        }.get(reason, t.gettext("The message could not be delivered ({reason}).", reason=reason))
        async with self.storage.unit() as repo:
            request = await repo.request(row.request_id) if row.request_id else None
            if request is not None:
                await self._post(repo, request, text)

    def _priority(self, request: HandoverRequest) -> str:
        if request.priority >= PRIORITY_CRISIS:
            return self.t.gettext("crisis")
        return self.t.gettext("urgent") if request.priority >= PRIORITY_URGENT else self.t.gettext("normal")

    def _line(self, author: str, alias: str | None, text: str | None) -> str:
        who = {"person": self.t.gettext("Person"), "bot": self.t.gettext("Bot")}.get(author, alias or author)
        return f"{who}: {text or ''}"

    async def _post(self, repo: Repository, request: HandoverRequest, text: str) -> None:
        address = str(request.staff_thread_id) if request.staff_thread_id is not None else ""
        await repo.enqueue(STAFF, address, {"kind": "post", "text": text}, self.clock(), request=request)

    async def _post_thread(self, repo: Repository, thread_id: int, text: str) -> None:
        await repo.enqueue(STAFF, str(thread_id), {"kind": "post", "text": text}, self.clock())

    async def _tell_person(
        self, repo: Repository, user: User, request: HandoverRequest, sentence: Callable[[Translator], str]
    ) -> None:
        lang = user.language or DEFAULT
        await self._send_person(repo, user, request, Reply(sentence(self.catalogs.translator(lang)), lang))

    async def _send_person(self, repo: Repository, user: User, request: HandoverRequest, reply: Reply) -> None:
        await repo.enqueue(user.channel, user.address, reply_to_body(reply), self.clock(), user=user, request=request)
