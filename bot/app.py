"""Putting the parts together, each once and with what it needs: settings → FAQ → NLU → storage → desk → engine."""

import asyncio
import gc
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from bot.engine import Engine
from bot.engine.knowledge import Knowledge
from bot.errors import FaqInvalid, TrainingFailed
from bot.faq.loader import load_faq
from bot.faq.model import Faq
from bot.faq.watch import watch
from bot.i18n import Catalogs
from bot.settings import Settings, require_rasa_token
from bot.storage import Storage, connect, open_connections, upgrade
from bot.storage.journal import SentJournal
from handover.desk import Desk
from handover.schedule import load_schedule
from nlu.embedded import EmbeddedNLU
from nlu.rasa_backend import RasaConnection, backend_over
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
        self.knowledge.use(faq, backend_over(nlu, self.rasa))
        settle_memory()
        return True

    def watch_knowledge(self) -> None:
        """Reload by itself when a file under the FAQ or training data folders changes."""
        if self.settings.faq_reload_seconds > 0:
            folders = [self.settings.faq_dir, self.settings.nlu_data_dir]
            self._tasks.append(asyncio.create_task(watch(folders, self.settings.faq_reload_seconds, self.reload)))

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


def load_knowledge(settings: Settings) -> tuple[Faq, EmbeddedNLU]:
    """Read and validate the FAQ, and train the embedded NLU on it in a child process (raises FaqInvalid)."""
    faq, problems = load_faq(settings.faq_dir, settings.nlu_data_dir)
    nlu = EmbeddedNLU(train(faq.examples()), faq.crisis_lexicon)
    log.info(
        "FAQ loaded: %d entries, %d examples, %d warnings (see `outreach-bot faq lint`); NLU trained in %.1f s",
        len(faq.entries), nlu.example_count, len(problems), nlu.training_seconds,
    )
    return faq, nlu


async def start(settings: Settings, knowledge: tuple[Faq, EmbeddedNLU] | None = None, staff_side: bool = True) -> App:
    """`knowledge`: an FAQ and NLU already loaded, so that tests train theirs once per run;
    `staff_side`: False for the terminal chat, whose handovers reach no staff."""
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
    shared = Knowledge(faq, backend_over(nlu, rasa))
    catalogs = Catalogs(settings.locales_dir)
    clock = partial(datetime.now, UTC)
    wakeup = asyncio.Event()
    desk = Desk(storage, lambda: shared.faq, catalogs, settings.staff_language, clock, wake=wakeup.set) if staff_side else None
    engine = Engine(storage, shared, catalogs, key, settings.retention_days, clock, load_schedule(settings.schedule_file), desk)
    return App(settings, storage, shared, engine, desk, wakeup, rasa)
