"""Putting the parts together: settings → FAQ → NLU → storage → engine."""

import asyncio
import logging
from dataclasses import dataclass, field

from bot.engine import Engine
from bot.faq.loader import FaqInvalid, load_faq
from bot.faq.model import Faq
from bot.faq.watch import watch
from bot.i18n import Catalogs
from bot.settings import Settings
from bot.storage import Storage, connect, upgrade
from handover.schedule import load_schedule
from nlu.embedded import EmbeddedNLU

log = logging.getLogger(__name__)
PSEUDONYM_SECRET = "pseudonym"


@dataclass
class App:
    settings: Settings
    storage: Storage
    engine: Engine
    _watcher: asyncio.Task | None = field(default=None, repr=False)

    async def reload(self) -> bool:
        """Validate the edited FAQ and retrain, off the event loop; switch only if all is valid."""
        try:
            faq, nlu = await asyncio.to_thread(load_knowledge, self.settings)
        except FaqInvalid as error:
            problems = "\n".join(str(p) for p in error.problems if not p.warning)
            log.error("FAQ edit refused; the previous FAQ keeps serving. Problems:\n%s", problems)
            return False
        self.engine.use(faq, nlu)
        return True

    def watch_knowledge(self) -> None:
        """Reload by itself when a file under the FAQ or training data folders changes."""
        if self.settings.faq_reload_seconds > 0 and self._watcher is None:
            folders = [self.settings.faq_dir, self.settings.nlu_data_dir]
            self._watcher = asyncio.create_task(watch(folders, self.settings.faq_reload_seconds, self.reload))

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
        await self.storage.close()


def load_knowledge(settings: Settings) -> tuple[Faq, EmbeddedNLU]:
    """Read and validate the FAQ, and train the embedded NLU on it (raises FaqInvalid)."""
    faq, problems = load_faq(settings.faq_dir, settings.nlu_data_dir)
    nlu = EmbeddedNLU(faq.examples(), faq.crisis_lexicon)
    log.info(
        "FAQ loaded: %d entries, %d examples, %d warnings (see `outreach-bot faq lint`); NLU trained in %.1f s",
        len(faq.entries), nlu.example_count, len(problems), nlu.training_seconds,
    )
    return faq, nlu


async def start(settings: Settings, knowledge: tuple[Faq, EmbeddedNLU] | None = None) -> App:
    """`knowledge`: an FAQ and NLU already loaded, so that tests train theirs once per run."""
    faq, nlu = knowledge or load_knowledge(settings)
    storage = Storage(connect(settings.database_url))
    await upgrade(storage.engine)
    if settings.pseudonym_secret is not None:
        key = settings.pseudonym_secret.get_secret_value()
    else:
        async with storage.unit() as repo:
            key = await repo.secret(PSEUDONYM_SECRET)
    schedule = load_schedule(settings.schedule_file)
    engine = Engine(storage, faq, nlu, Catalogs(settings.locales_dir), key, settings.retention_days, schedule=schedule)
    return App(settings, storage, engine)
