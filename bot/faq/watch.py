"""Noticing edits to the FAQ and training data while the bot runs.

Polling file sizes and modification times is enough here: a few dozen small files, checked
every few seconds, on any filesystem (including the shared folders volunteers edit through).
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

Snapshot = dict[Path, tuple[int, int]]


def snapshot(folders: Iterable[Path]) -> Snapshot:
    state: Snapshot = {}
    for folder in folders:
        for path in folder.glob("*.yml"):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            state[path] = (stat.st_mtime_ns, stat.st_size)
    return state


async def watch(folders: list[Path], interval: float, on_change: Callable[[], Awaitable[object]]) -> None:
    """Call `on_change` once per settled edit: an editor saving several files counts once."""
    last = snapshot(folders)
    while True:
        await asyncio.sleep(interval)
        current = snapshot(folders)
        if current == last:
            continue
        await asyncio.sleep(interval)
        settled = snapshot(folders)
        if settled != current:
            continue
        last = settled
        await on_change()
