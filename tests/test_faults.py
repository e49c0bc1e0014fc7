"""Fault injection on the real `outreach-bot run` (tests/fakes/faults.py): run alone with `pytest -m faults`.

A burst of messages, the process killed with SIGKILL in the middle of it and started again, or its
PostgreSQL server restarted: every person gets every reply, once, in order, as in a run without
faults; nothing personal in the logs.
"""

import os

import pytest
import pytest_asyncio

from fakes.faults import burst, compare
from fakes.postgres import fresh_database, restartable_server

pytestmark = [pytest.mark.faults, pytest.mark.asyncio(loop_scope="module")]

PEOPLE, PER_PERSON = 12, 4


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def reference(tmp_path_factory):
    return await burst(tmp_path_factory.mktemp("reference"), PEOPLE, PER_PERSON)


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_kill_9_during_a_burst_loses_no_reply_and_sends_none_twice(tmp_path, reference, webhook):
    killed = await burst(tmp_path, PEOPLE, PER_PERSON, kills=(0.3, 1.0), webhook=webhook)
    result = compare(reference, killed, PEOPLE * PER_PERSON)
    assert (result.lost, result.twice, result.people_missing_one, result.out_of_order) == (0, 0, 0, 0), result.line() + "\n" + "\n".join(result.details)
    for private in ("Person3", "500003", "c koi la prep", "horaires"):
        assert private not in killed.logs


async def test_kill_9_during_a_burst_on_postgresql_loses_no_reply_and_sends_none_twice(tmp_path, reference):
    """The killed process's claims are taken over at the next start, not after their lease (bot/storage/presence.py)."""
    admin_url = os.environ.get("TEST_POSTGRES_URL")
    if not admin_url:
        pytest.skip("needs TEST_POSTGRES_URL (bash .ci/postgres.sh)")
    async with fresh_database(admin_url, f"test_faults_kill_{os.getpid()}") as database_url:
        killed = await burst(tmp_path, PEOPLE, PER_PERSON, kills=(0.3, 1.0), database_url=database_url)
    result = compare(reference, killed, PEOPLE * PER_PERSON)
    assert (result.lost, result.twice, result.people_missing_one, result.out_of_order) == (0, 0, 0, 0), result.line() + "\n" + "\n".join(result.details)


async def test_an_update_the_library_cannot_parse_is_set_aside_and_everything_after_it_flows(tmp_path, reference):
    poisoned = await burst(tmp_path, PEOPLE, PER_PERSON, poison=True)
    result = compare(reference, poisoned, PEOPLE * PER_PERSON)
    assert (result.lost, result.twice, result.out_of_order, result.apologies) == (0, 0, 0, 1), result.line()
    assert "set aside" in poisoned.logs and len(poisoned.logs) < 200_000
    for private in ("0470 12 34 56", "Person0", "500000", "c koi la prep"):
        assert private not in poisoned.logs


async def test_a_postgresql_restart_during_a_burst_loses_no_reply_and_sends_none_twice(tmp_path, reference):
    found = await restartable_server()
    if isinstance(found, str):
        pytest.skip(found)
    admin_url, server = found
    async with fresh_database(admin_url, f"test_faults_{os.getpid()}") as database_url:
        restarted = await burst(tmp_path, PEOPLE, PER_PERSON, database_url=database_url, restarts=(0.3,), server=server, down_for=0.6)
    result = compare(reference, restarted, PEOPLE * PER_PERSON)
    assert (result.lost, result.twice, result.people_missing_one, result.out_of_order, result.apologies) == (0, 0, 0, 0, 0), (
        result.line() + "\n" + "\n".join(result.details)
    )
