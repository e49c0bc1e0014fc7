"""The report's summary in the staff group: `/report 2026-P1` in the general topic.

The staff desk cannot read reports (they sit above it in the layers), so the service hands this
function to the channel that hosts the staff group (ChannelParts.report). The summary only: the
tables with languages, topics and campaigns are long, and a chat shows no columns; the command
line gives them all, with the CSV files and the charts.
"""

from datetime import datetime

from bot.reports.categories import CategoriesInvalid, team_categories
from bot.reports.figures import read
from bot.reports.labels import DEFAULT_LANGUAGE, LANGUAGES, label
from bot.reports.periods import PeriodInvalid, named
from bot.reports.tables import masked
from bot.settings import Settings
from bot.storage import Storage
from handover.schedule import load_schedule


async def summary(storage: Storage, settings: Settings, period_name: str) -> str:
    """The period's summary as lines "label: value", small numbers masked; or what to write instead.

    No period: the current month so far.
    """
    zone = load_schedule(settings.schedule_file).timezone
    lang = settings.staff_language if settings.staff_language in LANGUAGES else DEFAULT_LANGUAGE
    try:
        period = named(period_name or f"{datetime.now(zone):%Y-%m}")
        categories = team_categories(settings)
    except PeriodInvalid as error:
        return str(error)
    except CategoriesInvalid as error:
        return "\n".join(map(str, error.problems))
    figures = await read(storage, period, categories, zone)
    table = figures.tables["summary"]
    [row] = masked(table, settings.report_small_cell)
    lines = [f"{label(lang, 'report')} — {label(lang, 'period')} {period.name}"]
    lines += [f"{label(lang, column)}: {cell}" for column, cell in zip(table.columns, row, strict=True) if column != "period"]
    lines.append(label(lang, "small_cells").format(threshold=settings.report_small_cell))
    return "\n".join(lines)
