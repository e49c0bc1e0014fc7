"""Putting the parts together: settings → FAQ → NLU → storage → engine."""

import asyncio
import gc
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.engine import Engine
from bot.faq.loader import FaqInvalid, load_faq
from bot.faq.model import Faq
from bot.faq.watch import watch
from bot.i18n import Catalogs
from bot.messages import PersonSender
from bot.settings import Settings, require_rasa_token
from bot.storage import Storage, connect, open_connections, upgrade
from bot.storage.journal import SentJournal
from handover import jobs
from handover.desk import Desk
from handover.outbox import Outbox
from handover.schedule import load_schedule
from handover.staff import StaffRoom
from nlu.embedded import EmbeddedNLU
from nlu.rasa_backend import RasaConnection, backend_over
from nlu.training import TrainingFailed, train

log = logging.getLogger(__name__)
PSEUDONYM_SECRET = "pseudonym"
OUTBOX_STOP_SECONDS = 15


@dataclass
class App:
    settings: Settings
    storage: Storage
    engine: Engine
    rasa: RasaConnection | None = None
    """Set when NLU_BACKEND=rasa: each FAQ version's NLU asks this Rasa server."""
    _tasks: list[asyncio.Task] = field(default_factory=list, repr=False)
    _outbox: Outbox | None = field(default=None, repr=False)
    _outbox_task: asyncio.Task | None = field(default=None, repr=False)

    async def reload(self) -> bool:
        """Validate the edited FAQ and retrain (in a child process, waited for in a thread, so that
        people are answered meanwhile); switch only if all went well."""
        try:
            faq, nlu = await asyncio.to_thread(load_knowledge, self.settings)
        except FaqInvalid as error:
            problems = "\n".join(str(p) for p in error.problems if not p.warning)
            log.error("FAQ edit refused; the previous FAQ keeps serving. Problems:\n%s", problems)
            return False
        except TrainingFailed as error:
            log.error("FAQ edit not applied, the previous FAQ keeps serving: %s", error)
            return False
        self.engine.use(faq, backend_over(nlu, self.rasa))
        settle_memory()
        return True

    def start_handover(self, senders: Mapping[str, PersonSender], staff: StaffRoom | None) -> Outbox:
        """Run the staff side: deliveries, permanence announcements and retention, in the background."""
        desk, outbox = attach_handover(self.engine, senders, staff, self.settings.staff_ids, self.settings.staff_language)
        self._outbox = outbox
        self._outbox_task = asyncio.create_task(outbox.run())
        self._tasks.append(
            asyncio.create_task(jobs.run(desk, self.storage, self.engine.schedule, self.settings.retention_days, self.engine.clock))
        )
        return outbox

    async def stop_handover(self) -> None:
        """Let the outbox finish what it has in hand, while the channels can still send."""
        if self._outbox is None or self._outbox_task is None:
            return
        self._outbox.stop()
        try:
            await asyncio.wait_for(self._outbox_task, OUTBOX_STOP_SECONDS)
        except TimeoutError:
            log.warning("The outbox did not finish in %d s; what it had in hand is delivered after the restart.", OUTBOX_STOP_SECONDS)
        self._outbox = self._outbox_task = None

    def watch_knowledge(self) -> None:
        """Reload by itself when a file under the FAQ or training data folders changes."""
        if self.settings.faq_reload_seconds > 0:
            folders = [self.settings.faq_dir, self.settings.nlu_data_dir]
            self._tasks.append(asyncio.create_task(watch(folders, self.settings.faq_reload_seconds, self.reload)))

    async def close(self) -> None:
        await self.stop_handover()
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


def attach_handover(
    engine: Engine,
    senders: Mapping[str, PersonSender],
    staff: StaffRoom | None,
    staff_ids: Mapping[int, str],
    staff_language: str,
) -> tuple[Desk, Outbox]:
    """Give the engine its staff side: the desk, and the outbox that delivers for it."""
    outbox = Outbox(engine.storage, senders, staff, engine.clock)
    desk = Desk(engine.storage, lambda: engine.faq, engine.catalogs, staff_ids, staff_language, engine.clock, wake=outbox.wake)
    outbox.on_undelivered = desk.undelivered
    engine.desk = desk
    return desk, outbox


def load_knowledge(settings: Settings) -> tuple[Faq, EmbeddedNLU]:
    """Read and validate the FAQ, and train the embedded NLU on it in a child process (raises FaqInvalid)."""
    faq, problems = load_faq(settings.faq_dir, settings.nlu_data_dir)
    nlu = EmbeddedNLU(train(faq.examples()), faq.crisis_lexicon)
    log.info(
        "FAQ loaded: %d entries, %d examples, %d warnings (see `outreach-bot faq lint`); NLU trained in %.1f s",
        len(faq.entries), nlu.example_count, len(problems), nlu.training_seconds,
    )
    return faq, nlu


async def start(settings: Settings, knowledge: tuple[Faq, EmbeddedNLU] | None = None) -> App:
    """`knowledge`: an FAQ and NLU already loaded, so that tests train theirs once per run."""
    faq, nlu = knowledge or load_knowledge(settings)
    rasa = RasaConnection(str(settings.rasa_url), require_rasa_token(settings)) if settings.nlu_backend == "rasa" else None
    storage = Storage(connect(settings.database_url), journal=SentJournal(settings.sent_journal_path))
    await upgrade(storage.engine)
    await open_connections(storage.engine)
    if settings.pseudonym_secret is not None:
        key = settings.pseudonym_secret.get_secret_value()
    else:
        async with storage.unit() as repo:
            key = await repo.secret(PSEUDONYM_SECRET)
    schedule = load_schedule(settings.schedule_file)
    engine = Engine(storage, faq, backend_over(nlu, rasa), Catalogs(settings.locales_dir), key, settings.retention_days, schedule=schedule)
    return App(settings, storage, engine, rasa)
