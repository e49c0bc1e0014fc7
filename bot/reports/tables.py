"""The report's tables as they leave the bot: small numbers masked, on the terminal or as CSV files.

CSV: one file per table, UTF-8, the stable English column names of figures.py (a spreadsheet or
a script keeps working whatever the report's language); the terminal shows the same tables with
headings in the report's language.
"""

import csv
from pathlib import Path

from bot.reports.categories import Categories
from bot.reports.figures import Figures, Table
from bot.reports.labels import label


def masked(table: Table, threshold: int) -> list[tuple]:
    """Rows with every count from 1 to threshold-1 shown as "<threshold", and what is computed from so few with it.

    0 is shown: it says nothing about anyone.
    """
    small = f"<{threshold}"
    guards = {table.columns.index(column): table.columns.index(count) for column, count in table.guarded.items()}
    counted = {table.columns.index(column) for column in table.counts}
    rows = []
    for row in table.rows:
        cells = list(row)
        for index in counted | set(guards):
            source = row[guards.get(index, index)]
            if isinstance(source, int) and 0 < source < threshold:
                cells[index] = small
        rows.append(tuple("" if cell is None else cell for cell in cells))
    return rows


def write_csv(figures: Figures, folder: Path, threshold: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in figures.tables.values():
        path = folder / f"{figures.period.name.replace('..', '_')}_{table.name}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(table.columns)
            writer.writerows(masked(table, threshold))
        written.append(path)
    return written


def render(figures: Figures, categories: Categories, lang: str, threshold: int) -> str:
    """Every table, one after the other, with its headings and its words (topics, reasons, hours, outcomes) in `lang`."""
    parts = [f"{label(lang, 'report')} — {label(lang, 'period')} {figures.period.name}"]
    for table in figures.tables.values():
        headings = [label(lang, column) for column in table.columns]
        rows = [[word(categories, lang, cell) for cell in row] for row in masked(table, threshold)]
        widths = [max(len(cell) for cell in column) for column in zip(headings, *rows, strict=True)]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in (headings, *rows)]
        parts.append("\n".join([f"\n{label(lang, table.name)}", *lines]))
    parts.append("\n" + label(lang, "small_cells").format(threshold=threshold))
    return "\n".join(parts)


def word(categories: Categories, lang: str, cell: object) -> str:
    """A cell as the reader sees it: a category's label from the team's file, a reason or an outcome in `lang`."""
    if not isinstance(cell, str):
        return str(cell)
    return categories.label(cell, lang) if cell in categories.labels else label(lang, cell)
