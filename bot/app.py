"""Putting the parts together: settings → FAQ → NLU → storage → engine."""

import logging
from dataclasses import dataclass

from bot.engine import Engine
from bot.faq.loader import load_faq
from bot.faq.model import Faq
from bot.i18n import Catalogs
from bot.settings import Settings
from bot.storage import Storage, connect, upgrade
from nlu.embedded import EmbeddedNLU

log = logging.getLogger(__name__)
PSEUDONYM_SECRET = "pseudonym"


@dataclass
class App:
    settings: Settings
    storage: Storage
    engine: Engine

    async def close(self) -> None:
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


async def start(settings: Settings) -> App:
    faq, nlu = load_knowledge(settings)
    storage = Storage(connect(settings.database_url))
    await upgrade(storage.engine)
    if settings.pseudonym_secret is not None:
        key = settings.pseudonym_secret.get_secret_value()
    else:
        async with storage.unit() as repo:
            key = await repo.secret(PSEUDONYM_SECRET)
    engine = Engine(storage, faq, nlu, Catalogs(settings.locales_dir), key, settings.retention_days)
    return App(settings, storage, engine)
