"""The last FAQ and training data that passed validation, kept beside the bot's state.

A volunteer's edit with a mistake, followed by a restart (a reboot, an update), must not leave
people without a bot: the bot then starts on this copy and says so (bot/app.py). The copy is
written only after the files were validated and the NLU trained on them.
"""

import shutil
from collections.abc import Sequence
from pathlib import Path


def keep(folders: Sequence[Path], into: Path) -> None:
    """Copy the *.yml files of each folder into `into`/0, `into`/1…, replacing the previous copy in one rename."""
    fresh = into.with_name(into.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    for index, folder in enumerate(folders):
        target = fresh / str(index)
        target.mkdir(parents=True)
        for path in sorted(folder.glob("*.yml")):
            shutil.copy2(path, target / path.name)
    previous = into.with_name(into.name + ".old")
    shutil.rmtree(previous, ignore_errors=True)
    if into.exists():
        into.rename(previous)
    fresh.rename(into)
    shutil.rmtree(previous, ignore_errors=True)


def kept(into: Path, count: int) -> list[Path] | None:
    """The folders of the last copy, in the order they were given to `keep`; None when there is none."""
    folders = [into / str(index) for index in range(count)]
    return folders if all(folder.is_dir() for folder in folders) else None
