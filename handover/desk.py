"""The handover desk: between a person's conversation and the staff topic that follows it.

Staff see a pseudonym, the language and the reason — never a name, a number or an id. What a
staff member writes in the topic reaches the person in the organisation's voice (copied, not
forwarded), through whichever channel the person came from.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum

from bot.faq.checker import closest
from bot.faq.model import Faq, written_in
from bot.i18n import Catalogs, Translator
from bot.languages import DEFAULT
from bot.messages import Reply, reply_to_body
from bot.outbox import STAFF
from bot.storage import Repository, Storage
from bot.storage.models import HandoverRequest, HandoverStatus, OutboxMessage, User
from handover.queue import PRIORITY_CRISIS, PRIORITY_URGENT

SUMMARY_MESSAGES = 5
TOPIC_TITLE_MAX = 128


class Outcome(StrEnum):
    """What a staff action did; the topic says it to the staff in words."""

    DONE = "done"
    TAKEN_BY_ANOTHER = "taken by another"
    NOT_TAKEN = "not taken"
    """Released already: it waits for the team."""
    CLOSED = "closed"
    """Closed already: nothing was sent."""
    UNKNOWN_FAQ = "unknown faq"
    UNKNOWN_SNIPPET = "unknown snippet"
    """No snippet of that name (or none named): the topic lists the names, nothing was sent."""
    NOT_FOUND = "not found"
    """No such conversation, or the person erased themselves."""
    REPEATED = "repeated"
    """The same call (its key) came before: done once."""


class Desk:
    """Between a person's conversation and the staff: the engine tells it what happens on the person's side,
    and staff act through its public actions (take, reply, release, transfer, close, note, send_faq, send_snippet, block, show_queue),
    each one transaction that also queues what it sends (bot/outbox/worker.py delivers)."""

    def __init__(
        self,
        storage: Storage,
        faq: Callable[[], Faq],
        catalogs: Catalogs,
        staff_lang: str,
        clock: Callable[[], datetime],
        wake: Callable[[], None] = lambda: None,
    ):
        self.storage = storage
        self.faq = faq
        self.catalogs = catalogs
        self.t = catalogs.translator(staff_lang)
        self.clock = clock
        self.wake = wake

    # --- From the person's side (inside the engine's unit of work) ---------------------------------

    async def opened(self, repo: Repository, user: User, request: HandoverRequest) -> None:
        """A new handover: a topic for it in the staff group, starting with a summary."""
        t = self.t
        title = f"{user.pseudonym} · {user.language or '?'} · {request.reason}"[:TOPIC_TITLE_MAX]
        if request.text:
            await repo.handover.add_message(request, "person", request.text, request.created_at)
        lines = [
            t.gettext("Pseudonym: {pseudonym}", pseudonym=user.pseudonym),
            t.gettext("Language: {lang}", lang=user.language or "?"),
            t.gettext("Reason: {reason}", reason=request.reason),
            t.gettext("Priority: {priority}", priority=self._priority(request)),
            "",
            t.gettext("Last messages:"),
            *[self._line(m.author, m.staff_alias, m.text) for m in await repo.handover.last_messages(request, SUMMARY_MESSAGES)],
            "",
            t.gettext(
                "Write here to answer the person. Start with ! or reply to a colleague's message to keep it for the team. "
                "Commands: /claim, /release, /transfer NAME, /close [OUTCOME], /note TEXT, /faq ID, /snippet NAME, /block REASON."
            ),
        ]
        await repo.outbox.enqueue(STAFF, "", {"kind": "open_topic", "title": title, "text": "\n".join(lines)}, self.clock(), request=request)
        self.wake()

    async def relay_from_person(self, repo: Repository, request: HandoverRequest, text: str, edited: bool = False) -> None:
        now = self.clock()
        await repo.handover.add_message(request, "person", text, now)
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
                await self._post_thread(repo, request.staff_thread_id, text)
        self.wake()

    # --- The staff's actions: what any front end calls (Telegram's topic commands: handover/commands.py) ---------

    async def conversation_in_thread(self, thread_id: int) -> int | None:
        """The conversation a staff topic follows, if any."""
        async with self.storage.unit() as repo:
            request = await repo.handover.in_thread(thread_id)
        return request.id if request is not None else None

    async def take(self, conversation: int, alias: str, key: str | None = None) -> Outcome:
        """`alias` takes the conversation; the person is told a member of the team is with them."""

        async def take(repo: Repository, request: HandoverRequest, user: User) -> Outcome:
            if await repo.handover.claim(request, alias, self.clock()):
                await self._post(repo, request, self.t.gettext("{alias} takes this conversation.", alias=alias))
                await self._tell_person(repo, user, request, lambda p: p.gettext("A member of the team is with you now. You can write here."))
                return Outcome.DONE
            if request.status == HandoverStatus.ACTIVE:
                await self._post(repo, request, self.t.gettext("Already taken by {alias}.", alias=request.staff_alias or "—"))
                return Outcome.TAKEN_BY_ANOTHER
            return await self._closed(repo, request)

        return await self._act(conversation, key, take)

    async def reply(self, conversation: int, alias: str, text: str, edited: bool = False, key: str | None = None) -> Outcome:
        """`text` to the person in the organisation's voice (never `alias`); a waiting conversation is taken first."""

        async def reply(repo: Repository, request: HandoverRequest, user: User) -> Outcome:
            lang = user.language or DEFAULT
            sent = self.catalogs.translator(lang).gettext("Correction: {text}", text=text) if edited else text
            return await self._as_staff(repo, request, user, alias, Reply(sent, lang, discreet=True))

        return await self._act(conversation, key, reply)

    async def close(self, conversation: int, alias: str, outcome: str | None = None, key: str | None = None) -> Outcome:
        """The person is told they can write again whenever they want. `outcome`: what came of it (handover/outcomes.py), for reports."""

        async def close(repo: Repository, request: HandoverRequest, user: User) -> Outcome:
            if not await repo.handover.close(request, self.clock(), outcome):
                return Outcome.CLOSED
            await self._post(repo, request, self.t.gettext("{alias} closed this conversation.", alias=alias))
            await self._tell_person(repo, user, request, lambda p: p.gettext("The team has closed this conversation. You can write again here whenever you want."))
            return Outcome.DONE

        return await self._act(conversation, key, close)

    async def release(self, conversation: int, alias: str, key: str | None = None) -> Outcome:
        """Back to the queue, in the place it had; the person is told the team will answer, never who left."""

        async def release(repo: Repository, request: HandoverRequest, user: User) -> Outcome:
            if await repo.handover.release(request):
                await self._post(repo, request, self.t.gettext("{alias} released this conversation: it waits for the team again.", alias=alias))
                await self._tell_person(repo, user, request, lambda p: p.gettext("Your conversation is back with the team: someone will answer you here."))
                return Outcome.DONE
            if request.status == HandoverStatus.WAITING:
                return Outcome.NOT_TAKEN
            return await self._closed(repo, request)

        return await self._act(conversation, key, release)

    async def transfer(self, conversation: int, alias: str, to: str, key: str | None = None) -> Outcome:
        """To colleague `to`, who is on duty (the front end checks); the person is told another member of the team takes over."""

        async def transfer(repo: Repository, request: HandoverRequest, user: User) -> Outcome:
            if not await repo.handover.transfer(request, to, self.clock()):
                return await self._closed(repo, request)
            await self._post(repo, request, self.t.gettext("{alias} handed this conversation to {colleague}.", alias=alias, colleague=to))
            await self._tell_person(repo, user, request, lambda p: p.gettext("Another member of the team is taking over your conversation. You can write here."))
            return Outcome.DONE

        return await self._act(conversation, key, transfer)

    async def note(self, conversation: int, alias: str, text: str, key: str | None = None) -> Outcome:
        """A note for the team, kept with the conversation and never sent to the person (erased with them)."""

        async def note(repo: Repository, request: HandoverRequest, _user: User) -> Outcome:
            await repo.handover.add_message(request, "note", text, self.clock(), staff_alias=alias)
            await self._post(repo, request, self.t.gettext("Note kept for the team (never sent to the person)."))
            return Outcome.DONE

        return await self._act(conversation, key, note)

    async def send_faq(self, conversation: int, alias: str, entry_id: str, key: str | None = None) -> Outcome:
        """An FAQ answer, in the person's language."""

        async def send_faq(repo: Repository, request: HandoverRequest, user: User) -> Outcome:
            faq = self.faq()
            if entry_id not in faq.entries:
                known = ", ".join(sorted(faq.entries))
                await self._post(repo, request, self.t.gettext("Unknown FAQ id '{id}'. Known ids: {ids}", id=entry_id, ids=known))
                return Outcome.UNKNOWN_FAQ
            lang = user.language or DEFAULT
            await self._send_person(repo, user, request, Reply(faq.answer(entry_id, lang), lang, discreet=True))
            await self._post(repo, request, self.t.gettext("FAQ answer {id} sent ({lang}).", id=entry_id, lang=lang))
            return Outcome.DONE

        return await self._act(conversation, key, send_faq)

    async def send_snippet(self, conversation: int, alias: str, name: str, key: str | None = None) -> Outcome:
        """A saved reply (faq/snippets.yml), in the person's language, as if `alias` wrote it: a waiting conversation is taken first.

        An unknown name, or none, sends nothing: the topic lists the names, with the one a typo meant.
        """
        wanted = name.strip().lower()

        async def send_snippet(repo: Repository, request: HandoverRequest, user: User) -> Outcome:
            faq = self.faq()
            snippet = faq.snippets.get(wanted)
            if snippet is None:
                await self._post(repo, request, self._snippet_names(wanted, list(faq.snippets)))
                return Outcome.UNKNOWN_SNIPPET
            lang = written_in(snippet.text, user.language or DEFAULT)
            outcome = await self._as_staff(repo, request, user, alias, Reply(faq.text(snippet.text, lang), lang, discreet=True))
            if outcome == Outcome.DONE:
                await self._post(repo, request, self.t.gettext("Snippet {name} sent ({lang}).", name=snippet.name, lang=lang))
            return outcome

        return await self._act(conversation, key, send_snippet)

    async def block(self, conversation: int, alias: str, reason: str, key: str | None = None) -> Outcome:
        """The bot stops answering the person; the conversation is closed."""

        async def block(repo: Repository, request: HandoverRequest, user: User) -> Outcome:
            await repo.people.block(user, reason)
            await repo.handover.close(request, self.clock())
            await self._post(repo, request, self.t.gettext("{alias} blocked this person: {reason}", alias=alias, reason=reason or "—"))
            return Outcome.DONE

        return await self._act(conversation, key, block)

    async def show_queue(self, key: str | None = None) -> None:
        """The conversations waiting or in progress, posted in the staff group."""

        async def show(repo: Repository) -> None:
            if key is None or await repo.first_delivery(STAFF, key, self.clock()):
                await self.post_queue(repo, self.t.gettext("Conversations waiting or in progress:"))

        await self.storage.transaction(show)
        self.wake()

    async def say_in_thread(self, thread_id: int | None, text: str) -> None:
        """A word from the desk in a staff topic, or the general one (None): a front end's help, or why nothing was done."""
        async with self.storage.unit() as repo:
            await self._post_thread(repo, thread_id, text)
        self.wake()

    async def _act(self, conversation: int, key: str | None, action: Callable[[Repository, HandoverRequest, User], Awaitable[Outcome]]) -> Outcome:
        """One action in one transaction, with what it sends; `key` (a delivery id) makes a repeated call do nothing."""

        async def act(repo: Repository) -> Outcome:
            if key is not None and not await repo.first_delivery(STAFF, key, self.clock()):
                return Outcome.REPEATED
            request = await repo.handover.get(conversation)
            user = await repo.people.by_id(request.user_id) if request is not None else None
            if request is None or user is None:
                return Outcome.NOT_FOUND
            return await action(repo, request, user)

        outcome = await self.storage.transaction(act)
        self.wake()
        return outcome

    async def _as_staff(self, repo: Repository, request: HandoverRequest, user: User, alias: str, reply: Reply) -> Outcome:
        """What staff write reaches the person in the organisation's voice and stays in the conversation, under `alias` for the team."""
        if request.status == HandoverStatus.CLOSED:
            return await self._closed(repo, request)
        if request.status == HandoverStatus.WAITING and await repo.handover.claim(request, alias, self.clock()):
            await self._post(repo, request, self.t.gettext("{alias} takes this conversation.", alias=alias))
        await repo.handover.add_message(request, "staff", reply.text, self.clock(), staff_alias=alias)
        await self._send_person(repo, user, request, reply)
        return Outcome.DONE

    async def _closed(self, repo: Repository, request: HandoverRequest) -> Outcome:
        await self._post(repo, request, self.t.gettext("This conversation is closed: nothing was sent."))
        return Outcome.CLOSED

    def _snippet_names(self, name: str, known: list[str]) -> str:
        t = self.t
        if not known:
            return t.gettext("No snippets yet: the team writes them in snippets.yml, beside the FAQ.")
        listed = t.gettext("Snippets you can send with /snippet NAME: {names}", names=", ".join(sorted(known)))
        if not name:
            return listed
        close = closest(name, known)
        unknown = t.gettext("Unknown snippet '{name}'.", name=name)
        suggestion = [t.gettext("Did you mean {name}?", name=close)] if close else []
        return " ".join([unknown, *suggestion, listed])

    # --- Notices -----------------------------------------------------------------------------------------

    async def post_queue(self, repo: Repository, heading: str) -> None:
        requests = await repo.handover.open_all()
        lines = [heading]
        for request in requests:
            user = await repo.people.by_id(request.user_id)
            lines.append(
                f"• {user.pseudonym if user else '?'} · {user.language if user else '?'} · {request.reason} · "
                f"{self._priority(request)} · {request.status}"
            )
        if not requests:
            lines.append(self.t.gettext("Nobody is waiting."))
        await self._post_thread(repo, None, "\n".join(lines))

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
            request = await repo.handover.get(row.request_id) if row.request_id else None
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
        """In the request's topic; the outbox waits for the topic if it is not open yet."""
        await self._post_thread(repo, request.staff_thread_id, text, request)

    async def _post_thread(self, repo: Repository, thread_id: int | None, text: str, request: HandoverRequest | None = None) -> None:
        """In a topic, or the general one (None)."""
        address = str(thread_id) if thread_id is not None else ""
        await repo.outbox.enqueue(STAFF, address, {"kind": "post", "text": text}, self.clock(), request=request)

    async def _tell_person(
        self, repo: Repository, user: User, request: HandoverRequest, sentence: Callable[[Translator], str]
    ) -> None:
        lang = user.language or DEFAULT
        await self._send_person(repo, user, request, Reply(sentence(self.catalogs.translator(lang)), lang))

    async def _send_person(self, repo: Repository, user: User, request: HandoverRequest, reply: Reply) -> None:
        await repo.outbox.enqueue(user.channel, user.address, reply_to_body(reply), self.clock(), user=user, request=request)
