"""Putting the parts together, each once and with what it needs: settings → FAQ → NLU → storage → desk → engine."""

import asyncio
import gc
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from sqlalchemy.exc import SQLAlchemyError

from bot.engine import Engine
from bot.engine.knowledge import Knowledge
from bot.errors import ContentInvalid, DatabaseUnreachable, Problem, SettingsError, TrainingFailed
from bot.faq.emergency import emergency_faq
from bot.faq.last_good import keep, kept
from bot.faq.loader import load_faq
from bot.faq.model import Faq
from bot.faq.watch import watch
from bot.i18n import Catalogs, Translator
from bot.settings import CONTENT, REPOSITORY, Settings, require_rasa_token
from bot.storage import Storage, connect, open_connections, upgrade
from bot.storage.database import error_name, unreachable_database
from bot.storage.journal import SentJournal
from handover.desk import Desk
from handover.schedule import load_schedule
from nlu.embedded import EmbeddedNLU
from nlu.new_examples import serving
from nlu.rasa_backend import RasaConnection, backend_over
from nlu.safety_only import SafetyOnlyNLU
from nlu.training import train

log = logging.getLogger(__name__)
PSEUDONYM_SECRET = "pseudonym"


@dataclass
class App:
    """The parts every command that converses shares, each built once with what it needs (`start`)."""

    settings: Settings
    storage: Storage
    knowledge: Knowledge
    engine: Engine
    desk: Desk | None
    """The staff side, for `run` (the terminal chat has none)."""
    outbox_wakeup: asyncio.Event
    """Set by the desk when it queued something: the outbox (bot/service.py) delivers it at once."""
    rasa: RasaConnection | None = None
    """Set when NLU_BACKEND=rasa: each FAQ version's NLU asks this Rasa server."""
    _tasks: list[asyncio.Task] = field(default_factory=list, repr=False)

    async def reload(self) -> bool:
        """Validate the edited FAQ and serve it at once; when its examples changed, train the NLU again (in a child
        process, waited for in a thread) meanwhile (nlu/new_examples.py), and go back if that fails. Say so to the team."""
        settings = self.settings
        try:
            faq, _warnings = await asyncio.to_thread(load_faq, settings.faq_dir, settings.nlu_data_dir)
        except ContentInvalid as error:
            problems = _listed(error.problems)
            log.error("FAQ edit refused; the previous FAQ keeps serving. Problems:\n%s", problems)
            await self.tell_team(self.staff_t.gettext("FAQ edit refused: the previous FAQ keeps serving. Fix these lines:\n{problems}", problems=problems))
            return False
        previous, nlu = self.knowledge.pair
        examples, before = faq.examples(), previous.examples()
        added = sorted(set(examples) - set(before))
        self.knowledge.use(faq, serving(nlu, added, faq.crisis_lexicon))
        if examples != before:
            try:
                self.knowledge.use(faq, backend_over(await asyncio.to_thread(train_on, faq), self.rasa))
            except TrainingFailed as error:
                self.knowledge.use(previous, nlu)
                log.error("FAQ edit not applied, the previous FAQ keeps serving: %s", error)
                return False
        await asyncio.to_thread(keep_copy, settings)
        changed = entries_changed(previous, faq)
        log.info("FAQ updated (entries changed: %d).", changed)
        await self.tell_team(self.staff_t.gettext("FAQ updated (entries changed: {count}).", count=changed))
        settle_memory()
        return True

    async def tell_team(self, text: str) -> None:
        """A word in the staff group's general topic, when there is a staff side (not in the terminal chat)."""
        if self.desk is not None:
            try:
                await self.desk.say_in_thread(None, text)
            except Exception as error:  # the database is away: the log said it already
                log.warning("The staff group could not be told (%s).", type(error).__name__)

    @property
    def staff_t(self) -> Translator:
        """The bot's sentences in the staff's language."""
        return self.engine.catalogs.translator(self.settings.staff_language)

    def watch_knowledge(self) -> None:
        """Reload by itself when a file under the FAQ or training data folders changes."""
        if self.settings.faq_reload_seconds > 0:
            self._tasks.append(asyncio.create_task(watch(self.settings.content_folders, self.settings.faq_reload_seconds, self.reload)))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.rasa is not None:
            await self.rasa.aclose()
        await self.storage.close()


def settle_memory() -> None:
    """Collect once, then keep what start-up (or a reload) built out of every later collection.

    The FAQ, the NLU's weights and the libraries' modules are some 130,000 objects that live as
    long as the process. A full collection walks them all (70-85 ms here), and after a start the
    first one came during the first messages: 150 ms answers in the load benchmark. gc.freeze()
    puts them in a permanent generation that collections skip; an object whose last reference
    goes is still freed. Unfreezing first lets a reload's collection free the previous FAQ
    (one pause of that length per FAQ edit).
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


async def settle_journal(storage: Storage) -> None:
    """What a killed run had sent and not yet noted in the database is noted now, before anything can send.

    The outbox starts before the inbox and sends every reply whose claim has run out: after a start
    longer than the replies' lease (the NLU trains for seconds, a minute on a busy machine), those of
    the killed run too, which the journal says went out."""
    try:
        settled = await storage.settle_journal(datetime.now(UTC))
    except Exception as error:
        log.warning("The journal of sent replies could not be read (%s); some may go out twice.", error_name(error))
        return
    if settled:
        log.info("%d reply(ies) a previous run had sent are noted as sent.", settled)


def load_knowledge(settings: Settings) -> tuple[Faq, EmbeddedNLU]:
    """Read and validate the FAQ, and train the embedded NLU on it in a child process (raises ContentInvalid)."""
    faq, problems = load_faq(settings.faq_dir, settings.nlu_data_dir)
    nlu = train_on(faq)
    log.info("FAQ loaded: %d entries, %d warnings (see `outreach-bot faq lint`).", len(faq.entries), len(problems))
    return faq, nlu


def load_knowledge_or_last_good(settings: Settings) -> tuple[tuple[Faq, EmbeddedNLU | SafetyOnlyNLU], ContentInvalid | None]:
    """The edited FAQ; when it is broken, the last one that passed validation, or else the one the package ships.

    Never no bot: a volunteer's mistake followed by a restart leaves people answered (crisis
    replies included) on the FAQ as it last was, and the refusal is returned to be told. When none
    can be read, the bot runs in safety-only mode (nlu/safety_only.py) until the files are fixed.
    """
    folders = settings.content_folders
    try:
        knowledge = load_knowledge(settings)
    except ContentInvalid as error:
        packaged = [CONTENT / "faq", REPOSITORY / "nlu" / "data"]
        for fallback, what in ((kept(settings.last_good_path, len(folders)), "the last FAQ that passed validation"), (packaged, "the FAQ the bot ships with")):
            if fallback is None or fallback == folders:
                continue
            try:
                faq, _warnings = load_faq(fallback[0], fallback[1])
            except ContentInvalid:
                continue
            log.error("The FAQ files have errors: the bot starts on %s. Fix these lines (outreach-bot faq lint):\n%s", what, _listed(error.problems))
            return (faq, train_on(faq)), error
        log.critical(
            "No FAQ can be read: the bot runs in safety-only mode (every message gets the emergency number and goes to the team). "
            "Fix these lines (outreach-bot faq lint):\n%s", _listed(error.problems),
        )
        return (emergency_faq(), SafetyOnlyNLU()), error
    keep_copy(settings)
    return knowledge, None


def keep_copy(settings: Settings) -> None:
    """A copy that cannot be written costs the fallback, not the bot: said in the log."""
    try:
        keep(settings.content_folders, settings.last_good_path)
    except OSError as error:
        log.warning("The FAQ that passed validation could not be copied to LAST_GOOD_DIR (%s: %s).", settings.last_good_path, error.strerror)


def train_on(faq: Faq) -> EmbeddedNLU:
    nlu = EmbeddedNLU(train(faq.examples()), faq.crisis_lexicon)
    log.info("NLU trained on %d examples in %.1f s.", nlu.example_count, nlu.training_seconds)
    return nlu


def entries_changed(old: Faq, new: Faq) -> int:
    """Entries and snippets added, removed or edited (answer, examples, anything): what the team sees change."""
    return _changed(old.entries, new.entries) + _changed(old.snippets, new.snippets)


def _changed(old: Mapping[str, object], new: Mapping[str, object]) -> int:
    return len(set(old) ^ set(new)) + sum(old[key] != new[key] for key in set(old) & set(new))


def _listed(problems: list[Problem], most: int = 10) -> str:
    """The errors as file:line: message, the file by its name (the folder is the team's)."""
    errors = [p for p in problems if not p.warning]
    lines = [f"{p.file.name}:{p.line}: {p.message}" for p in errors[:most]]
    return "\n".join(lines + ([f"… (+{len(errors) - most})"] if len(errors) > most else []))


async def start(settings: Settings, knowledge: tuple[Faq, EmbeddedNLU] | None = None, staff_side: bool = True) -> App:
    """`knowledge`: an FAQ and NLU already loaded, so that tests train theirs once per run;
    `staff_side`: False for the terminal chat, whose handovers reach no staff."""
    rasa_token = require_rasa_token(settings) if settings.nlu_backend == "rasa" else None
    try:
        journal = SentJournal(settings.sent_journal_path)
    except OSError as error:
        raise SettingsError(
            f"The setting SENT_JOURNAL (by default beside the SQLite file of DATABASE_URL) names a file that cannot be written: "
            f"{settings.sent_journal_path} ({error.strerror})."
        ) from None
    storage = Storage(connect(settings.database_url), journal=journal)
    try:
        await upgrade(storage.engine)
        await open_connections(storage.engine)
    except (SQLAlchemyError, OSError, DatabaseUnreachable) as error:
        await storage.close()
        raise unreachable_database(error) from error
    await settle_journal(storage)
    (faq, nlu), refused = (knowledge, None) if knowledge is not None else load_knowledge_or_last_good(settings)
    rasa = RasaConnection(str(settings.rasa_url), rasa_token) if rasa_token is not None else None
    if settings.pseudonym_secret is not None:
        key = settings.pseudonym_secret.get_secret_value()
    else:
        async with storage.unit() as repo:
            key = await repo.secret(PSEUDONYM_SECRET)
    shared = Knowledge(faq, backend_over(nlu, rasa) if isinstance(nlu, EmbeddedNLU) else nlu)
    catalogs = Catalogs(settings.locales_dir)
    clock = partial(datetime.now, UTC)
    wakeup = asyncio.Event()
    desk = Desk(storage, lambda: shared.faq, catalogs, settings.staff_language, clock, wake=wakeup.set) if staff_side else None
    engine = Engine(storage, shared, catalogs, key, settings.retention_days, clock, load_schedule(settings.schedule_file), desk, settings.unanswered_days)
    app = App(settings, storage, shared, engine, desk, wakeup, rasa)
    if refused is not None:
        problems = _listed(refused.problems)
        await app.tell_team(
            app.staff_t.gettext("No FAQ can be read: the bot only gives the emergency number and passes every message to the team. Fix these lines:\n{problems}", problems=problems)
            if isinstance(nlu, SafetyOnlyNLU)
            else app.staff_t.gettext("The FAQ files have errors: the bot started on the last FAQ that passed validation. Fix these lines:\n{problems}", problems=problems)
        )
    return app
