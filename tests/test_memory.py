"""The long-running bot's memory: what start-up builds stays out of the garbage collector's way."""

import gc
import weakref

import pytest

from bot.app import settle_memory


class Node:
    other: "Node | None" = None


@pytest.fixture(autouse=True)
def unfrozen():
    yield
    gc.unfreeze()


def test_objects_built_before_settling_are_skipped_by_later_collections():
    built = {"faq": ["an answer"]}
    settle_memory()
    assert not any(tracked is built for tracked in gc.get_objects())


def test_a_settled_object_is_still_freed_when_nothing_refers_to_it():
    entry = Node()
    gone = weakref.ref(entry)
    settle_memory()
    del entry
    assert gone() is None


def test_settling_again_collects_the_cycles_settled_before():
    """After a reload, the previous FAQ must not stay frozen for ever."""
    first, second = Node(), Node()
    first.other, second.other = second, first
    gone = weakref.ref(first)
    settle_memory()
    del first, second
    settle_memory()
    assert gone() is None
