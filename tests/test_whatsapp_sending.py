"""Sending on WhatsApp when Meta says no: waiting, retrying, holding, giving up — and never losing a reply."""

import time

import pytest
from sqlalchemy import select

from bot.channels.whatsapp.api import RETRY_BUSY, RETRY_REFUSED_TOKEN, GraphApi, result_of_error
from bot.engine import Engine
from bot.engine.knowledge import Knowledge
from bot.messages import Delivered, OutsideWindow, Reply, RetryLater, Undeliverable
from bot.storage.models import OutboxMessage
from conftest import NOW
from fakes.graph_api import ACCESS_TOKEN, PHONE_NUMBER_ID, VERSION, WaPerson
from fakes.whatsapp_bot import Clock, whatsapp_bot

AMINA = WaPerson("32470000001")
TEXT = {"to": AMINA.wa_id, "type": "text", "text": {"body": "Bonjour", "preview_url": False}}


@pytest.fixture
async def api(graph_api):
    client = GraphApi(graph_api.url, VERSION, PHONE_NUMBER_ID, ACCESS_TOKEN, backoff=0.01)
    yield client
    await client.aclose()


async def test_a_message_taken_by_whatsapp_is_delivered_with_its_message_id(api, graph_api):
    result = await api.send(TEXT)
    assert result == Delivered(graph_api.sent[0].wamid) and graph_api.sent[0].payload["messaging_product"] == "whatsapp"


async def test_a_passing_outage_is_retried_at_once(api, graph_api):
    graph_api.fail_next(503, times=2)
    assert isinstance(await api.send(TEXT), Delivered)
    assert len(graph_api.calls) == 3


async def test_a_rate_limit_waits_as_long_as_meta_asks_before_trying_again(api, graph_api):
    graph_api.fail_next(429, 130429, retry_after=0.3)
    started = time.perf_counter()
    assert isinstance(await api.send(TEXT), Delivered)
    assert time.perf_counter() - started >= 0.3


async def test_a_long_retry_after_is_left_to_the_outbox(api, graph_api):
    graph_api.fail_next(429, 130429, retry_after=120)
    assert await api.send(TEXT) == RetryLater(120)
    assert len(graph_api.calls) == 1


async def test_an_outage_that_lasts_is_retry_later(api, graph_api):
    graph_api.fail_next(500, 131000, times=3)
    assert await api.send(TEXT) == RetryLater(RETRY_BUSY)
    assert len(graph_api.calls) == 3


@pytest.mark.parametrize(
    ("http_status", "code", "expected"),
    [
        (400, 131047, OutsideWindow()),
        (400, 131026, Undeliverable("blocked")),
        (400, 131009, Undeliverable("invalid")),
        (400, 100, Undeliverable("invalid")),
        (401, 190, RetryLater(RETRY_REFUSED_TOKEN)),
    ],
)
async def test_meta_error_codes_mean_hold_give_up_or_wait_for_a_new_token(api, graph_api, http_status, code, expected):
    graph_api.fail_next(http_status, code)
    assert await api.send(TEXT) == expected
    assert len(graph_api.calls) == 1


async def test_an_unreachable_api_is_retry_later(unused_tcp_port):
    api = GraphApi(f"http://127.0.0.1:{unused_tcp_port}", VERSION, PHONE_NUMBER_ID, ACCESS_TOKEN, backoff=0.01)
    try:
        assert await api.send(TEXT) == RetryLater(RETRY_BUSY)
    finally:
        await api.aclose()


@pytest.mark.parametrize(
    ("code", "expected"),
    [(131047, OutsideWindow()), (131026, Undeliverable("blocked")), (130429, RetryLater(RETRY_BUSY)), (131053, Undeliverable("invalid")), (None, Undeliverable("invalid"))],
)
def test_a_failure_reported_later_in_a_status_means_the_same_as_at_once(code, expected):
    assert result_of_error(code) == expected


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def engine_with_clock(storage, faq, nlu, catalogs, clock) -> Engine:
    return Engine(storage, Knowledge(faq, nlu), catalogs, "test-key-test-key", clock=clock)


async def test_a_reply_whatsapp_cannot_take_now_goes_to_the_outbox_and_out_when_due(graph_api, engine_with_clock, storage, clock):
    engine = engine_with_clock
    async with whatsapp_bot(graph_api, engine) as bot:
        outbox = bot.outbox
        graph_api.fail_next(429, 130429, retry_after=60)
        await bot.deliver(graph_api.message(AMINA, "c koi la prep"))
        assert graph_api.sent == []
        async with storage.unit() as repo:
            queued = (await repo.session.scalars(select(OutboxMessage))).all()
        assert len(queued) == 2 and {row.status for row in queued} == {"queued"}  # the answer, then the language offer
        assert await outbox.deliver_due() == 0  # Meta asked for a minute
        clock.advance(seconds=61)
        while await outbox.deliver_due():
            pass

    texts = graph_api.texts(AMINA)
    assert len(texts) == 2 and texts[0] == engine.faq.answer("prep.info", "fr")


async def test_a_reply_cut_short_by_an_outage_gives_back_only_what_was_not_sent(graph_api, engine):
    long_text = "\n".join("Une ligne de texte assez longue pour une réponse." for _ in range(120))
    async with whatsapp_bot(graph_api, engine) as bot:
        graph_api.fail_next(503, times=3, after=1)
        result, unsent = await bot.channel.sender.deliver(AMINA.wa_id, Reply(long_text, "fr"))

    [sent] = graph_api.texts(AMINA)
    assert result == RetryLater(RETRY_BUSY) and unsent is not None
    assert sent + "\n" + unsent.text == long_text  # cut after a line break
