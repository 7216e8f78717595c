"""The sex ratio at birth, its intervals, warnings and funnel limits: pure arithmetic, no database (docs/bulletins.md).

The sex ratio at birth (SRB) is boys per 100 girls; the natural range is 103-107.
A raw ratio of a small unit says little (7 boys and 3 girls make 233), so a unit
is judged on the share of boys ``p = boys / births``: its Wilson score interval
at 95% and 99.8%, turned into SRB bounds with ``100 * p / (1 - p)``. A unit is
flagged only when the whole interval lies outside the natural range: "warning"
at 95%, "alarm" at 99.8%.

The funnel plot draws each unit's SRB against its number of births, with
control limits around the natural centre 105 (``p0 = 105/205``) at both
levels: ``p0 +- z * sqrt(p0 (1 - p0) / n)``, as SRB.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from statistics import NormalDist

NATURAL_LOW = 103.0
NATURAL_HIGH = 107.0
NATURAL_CENTRE = 105.0
P0 = NATURAL_CENTRE / (100.0 + NATURAL_CENTRE)  # the share of boys at SRB 105

# Two-sided levels: z for 95% (1.960) and 99.8% (3.090).
Z_WARNING = NormalDist().inv_cdf(1 - 0.05 / 2)
Z_ALARM = NormalDist().inv_cdf(1 - 0.002 / 2)

WARNING = "warning"
ALARM = "alarm"

# Published cells with fewer births than this show "<5" (docs/bulletins.md, "Small cells").
SMALL_CELL = 5
SMALL_CELL_TEXT = "<5"
# The counts a published row shows and complementary suppression may withhold (docs/bulletins.md).
BOYS, GIRLS = "boys", "girls"
MEASURES = (BOYS, GIRLS)

MONTH, QUARTER, YEAR, HALF_YEAR = "month", "quarter", "year", "half_year"
PERIODS = (MONTH, QUARTER, YEAR)


def srb_of_share(p: float) -> float:
    """Boys per 100 girls for a share of boys ``p`` (infinite when there are no girls)."""
    if p >= 1.0:
        return math.inf
    return 100.0 * p / (1.0 - p)


def srb(boys: int, girls: int) -> float | None:
    """Boys per 100 girls, or None without girls (no ratio to show)."""
    if girls <= 0:
        return None
    return 100.0 * boys / girls


def wilson(successes: int, n: int, z: float) -> tuple[float, float]:
    """The Wilson score interval for a binomial share: (low, high), within [0, 1]. n must be positive."""
    if n <= 0:
        raise ValueError("the Wilson interval needs at least one birth")
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # Rounding can step a hair outside [0, 1], or past p at the edges: clamp.
    return max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p))


def srb_interval(boys: int, girls: int, z: float) -> tuple[float, float]:
    """The Wilson interval of the share of boys, as SRB bounds (the upper bound is infinite when it reaches 1)."""
    low, high = wilson(boys, boys + girls, z)
    return srb_of_share(low), srb_of_share(high)


def outside_natural_range(bounds: tuple[float, float]) -> bool:
    low, high = bounds
    return low > NATURAL_HIGH or high < NATURAL_LOW


def flag(boys: int, girls: int) -> str:
    """ "alarm", "warning" or "" for a unit: only when its whole interval lies outside 103-107."""
    if boys + girls <= 0:
        return ""
    if outside_natural_range(srb_interval(boys, girls, Z_ALARM)):
        return ALARM
    if outside_natural_range(srb_interval(boys, girls, Z_WARNING)):
        return WARNING
    return ""


def funnel_limits(n: int, z: float) -> tuple[float, float]:
    """The funnel plot's control limits (SRB) for a unit of ``n`` births: ``p0 +- z * sqrt(p0 (1 - p0) / n)``."""
    if n <= 0:
        raise ValueError("control limits need at least one birth")
    half = z * math.sqrt(P0 * (1 - P0) / n)
    return srb_of_share(max(0.0, P0 - half)), srb_of_share(min(1.0, P0 + half))


# --- Units and periods ------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """The births of one unit (county, township or facility) in one period, and what they say."""

    unit: Hashable
    period: datetime.date  # the period's first day
    boys: int
    girls: int

    @property
    def births(self) -> int:
        return self.boys + self.girls

    @property
    def ratio(self) -> float | None:
        return srb(self.boys, self.girls)

    @property
    def interval95(self) -> tuple[float, float] | None:
        return srb_interval(self.boys, self.girls, Z_WARNING) if self.births else None

    @property
    def interval998(self) -> tuple[float, float] | None:
        return srb_interval(self.boys, self.girls, Z_ALARM) if self.births else None

    @property
    def flag(self) -> str:
        return flag(self.boys, self.girls)

    @property
    def small(self) -> bool:
        """Some count of the cell is under SMALL_CELL: published outputs show it as "<5" (see suppressed)."""
        return min(self.boys, self.girls) < SMALL_CELL


def period_start(month: datetime.date, period: str) -> datetime.date:
    """The first day of the month, quarter, half year or year that ``month`` falls in."""
    if period == MONTH:
        return month.replace(day=1)
    if period == QUARTER:
        return datetime.date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)
    if period == HALF_YEAR:
        return datetime.date(month.year, 1 if month.month <= 6 else 7, 1)
    if period == YEAR:
        return datetime.date(month.year, 1, 1)
    raise ValueError(f"unknown period {period!r}")


def aggregate(
    rows: Iterable[object],
    *,
    unit: Callable[[object], Hashable],
    period: str,
) -> list[Cell]:
    """Sum boys and girls of facility-month ``rows`` (BirthCount-like) per unit and period, in a stable order."""
    sums: dict[tuple[Hashable, datetime.date], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        key = (unit(row), period_start(row.month, period))  # type: ignore[attr-defined]
        sums[key][0] += row.boys  # type: ignore[attr-defined]
        sums[key][1] += row.girls  # type: ignore[attr-defined]
    return [
        Cell(unit=key[0], period=key[1], boys=boys, girls=girls)
        for key, (boys, girls) in sorted(sums.items(), key=lambda item: (item[0][1], str(item[0][0])))
    ]


# --- Small-cell suppression (published outputs) ------------------------------------------------


def suppressed_count(value: int) -> str:
    """A count as published: "<5" under SMALL_CELL."""
    return SMALL_CELL_TEXT if value < SMALL_CELL else str(value)


@dataclass(frozen=True)
class PublishedCell:
    """What a published bulletin shows of a cell: strings, with small counts as "<5".

    When boys or girls is under 5, the total, the ratio and its interval are withheld too ("—"): with the
    total and the other count beside it, the small count could be worked out by subtraction. A count withheld
    by complementary suppression (see ``complementary_suppression``) reads "—", and takes the same with it.
    """

    boys: str
    girls: str
    births: str
    ratio: str
    interval: str
    flag: str


WITHHELD = "—"


def fmt_ratio(value: float | None) -> str:
    if value is None or math.isinf(value):
        return "∞" if value is not None else WITHHELD
    return f"{value:.1f}"


def _window(value: int) -> range:
    """The values a hidden count must not be narrowed below: "<5" hides 0-4; a larger one, its neighbours."""
    return range(SMALL_CELL) if value < SMALL_CELL else range(value - (SMALL_CELL - 1), value + SMALL_CELL)


def flag_discloses_nothing(cell: Cell, withheld: frozenset[str] = frozenset()) -> bool:
    """Whether a row's flag may be published beside its hidden counts: only when every value in each hidden
    count's window (0-4 for "<5", the count ± 4 for a withheld one) gives the same flag. Else flagged or not
    would pin a hidden count (5 boys and "<5" girls flagged: 0 girls), so the flag is withheld too."""
    boys = _window(cell.boys) if cell.boys < SMALL_CELL or BOYS in withheld else (cell.boys,)
    girls = _window(cell.girls) if cell.girls < SMALL_CELL or GIRLS in withheld else (cell.girls,)
    return len({flag(b, g) for b in boys for g in girls}) == 1


def published(cell: Cell, withheld: frozenset[str] = frozenset()) -> PublishedCell:
    """The cell as published; ``withheld`` names the counts ("boys", "girls") that complementary suppression
    withholds besides the small ones."""
    if cell.small or withheld:
        births = SMALL_CELL_TEXT if cell.births < SMALL_CELL else WITHHELD
        return PublishedCell(
            boys=WITHHELD if BOYS in withheld else suppressed_count(cell.boys),
            girls=WITHHELD if GIRLS in withheld else suppressed_count(cell.girls),
            births=births,
            ratio=WITHHELD,
            interval=WITHHELD,
            flag=cell.flag if flag_discloses_nothing(cell, withheld) else WITHHELD,
        )
    low, high = cell.interval95 or (math.nan, math.nan)
    return PublishedCell(
        boys=str(cell.boys),
        girls=str(cell.girls),
        births=str(cell.births),
        ratio=fmt_ratio(cell.ratio),
        interval=f"{fmt_ratio(low)}–{fmt_ratio(high)}",
        flag=cell.flag,
    )


# --- Complementary suppression: no small count worked out from a total -----------------------------


@dataclass(frozen=True)
class Group:
    """Published rows whose counts add up, measure by measure: ``sum(totals) == sum(parts)``.

    Usually one total and its parts (a township and its facilities, the county and its townships or its
    months); several totals when parts straddle them (a facility counted under two townships in one period).
    """

    totals: tuple[Hashable, ...]
    parts: tuple[Hashable, ...]

    @property
    def members(self) -> tuple[Hashable, ...]:
        return (*self.totals, *self.parts)


def complementary_suppression(
    cells: Mapping[Hashable, Cell], groups: Iterable[Group], names: Mapping[Hashable, str]
) -> dict[Hashable, frozenset[str]]:
    """The counts to withhold besides the small ones, so that no withheld count follows from a sum.

    A count of a group's member is hidden when it is under SMALL_CELL or already withheld. When exactly one
    member of a group has a measure hidden, the others give it away (a township's boys less its other
    facilities' boys are the small facility's boys; a township withheld here is the sum of its facilities).
    So the same measure of a second member is withheld: the part that shows the smallest count (ties: by
    name), or a total when no part shows it. A new withholding can leave a lone hidden count in another group
    (the township withheld among the county's townships), so the groups are gone through again until nothing
    changes. Returns the withheld measures by key, for the keys that have any.
    """
    groups = [group for group in groups if len(group.members) > 1]
    withheld: dict[Hashable, set[str]] = defaultdict(set)

    def hidden(key: Hashable, measure: str) -> bool:
        return getattr(cells[key], measure) < SMALL_CELL or measure in withheld[key]

    changed = True
    while changed:
        changed = False
        for group in groups:
            for measure in MEASURES:
                if sum(hidden(key, measure) for key in group.members) != 1:
                    continue
                shown = [key for key in group.parts if not hidden(key, measure)] or [
                    key for key in group.totals if not hidden(key, measure)
                ]
                second = min(shown, key=lambda key: (getattr(cells[key], measure), names.get(key, ""), str(key)))
                withheld[second].add(measure)
                changed = True
    return {key: frozenset(measures) for key, measures in withheld.items() if measures}
