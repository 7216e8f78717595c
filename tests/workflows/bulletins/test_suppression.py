"""Complementary suppression: no count withheld from a published bulletin follows from a total less the counts shown.

A township's facilities add up to its row, the townships (with "Township not recorded") to the county, a
half year's months to the county. When exactly one member of such a group hides a count, a second one is
withheld (docs/bulletins.md, "Small cells").
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from typing import Any

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from permissions.models import Jurisdiction
from workflows.bulletins import exports, selectors, services, srb
from workflows.bulletins.models import Bulletin, Kind

from .conftest import AFTER_THE_10TH, MONTH

JAN = dt.date(2026, 1, 1)
HIDDEN = (srb.SMALL_CELL_TEXT, srb.WITHHELD)


def view_of(counts: list[tuple[int, int | None, dt.date, int, int]], *, kind: str = Kind.MONTHLY, **content: Any):
    """A bulletin's view from its frozen content alone (no database): facility ``f`` is "F<f>", township ``t``
    "T<t>"."""
    bulletin = Bulletin(
        kind=kind,
        county=Jurisdiction(name="County"),
        content={
            "county": "County",
            "counts": [[f, t, m.isoformat(), b, g] for f, t, m, b, g in counts],
            "facilities": {str(f): {"name": f"F{f}", "township_id": t} for f, t, *_ in counts},
            "townships": {str(t): f"T{t}" for _f, t, *_ in counts if t is not None},
            **content,
        },
    )
    return selectors.bulletin_view(bulletin)


def by_name(rows: list[selectors.Row]) -> dict[str, srb.PublishedCell]:
    return {row.name: row.shown for row in rows}


# --- The rule -----------------------------------------------------------------------------------


def test_a_township_with_one_small_facility_withholds_a_second_facility() -> None:
    """F2's 3 girls would be T1's 68 less F1's 40 and F3's 25: F3 (the smallest girls shown) is withheld too.
    The worked example of docs/bulletins.md, "Complementary suppression"."""
    view = view_of(
        [
            (1, 1, MONTH, 45, 40),
            (2, 1, MONTH, 9, 3),
            (3, 1, MONTH, 30, 25),
            (4, 2, MONTH, 50, 47),
            (5, 2, MONTH, 48, 44),
        ]
    )
    facilities = by_name(view.facilities)
    assert (facilities["F2"].boys, facilities["F2"].girls) == ("9", "<5")
    assert (facilities["F3"].boys, facilities["F3"].girls, facilities["F3"].births) == ("30", "—", "—")
    assert (facilities["F3"].ratio, facilities["F3"].interval) == ("—", "—")
    assert (facilities["F1"].girls, facilities["F1"].ratio) == ("40", "112.5")  # only one second count
    assert by_name(view.townships)["T1"].girls == "68"  # the total still shows
    assert [row.name for row in view.facilities if row.withheld] == ["F3"]
    # Boys: none is small, none is withheld.
    assert all(shown.boys.isdigit() for shown in facilities.values())


def test_a_tie_is_broken_by_name() -> None:
    view = view_of([(1, 1, MONTH, 45, 3), (3, 1, MONTH, 30, 25), (2, 1, MONTH, 31, 25)])
    assert [row.name for row in view.facilities if row.withheld] == ["F2"]


def test_a_lone_small_township_withholds_a_second_township_and_that_one_a_facility() -> None:
    """T2's girls are under 5 (its only facility, F3): T1's girls are withheld beside them. T1 withheld alone
    among its facilities would be their sum: F2's girls, the smaller, are withheld too."""
    view = view_of([(1, 1, MONTH, 45, 40), (2, 1, MONTH, 30, 25), (3, 2, MONTH, 12, 4)])
    townships, facilities = by_name(view.townships), by_name(view.facilities)
    assert townships["T2"].girls == "<5" and townships["T1"].girls == "—" and townships["T1"].boys == "75"
    assert facilities["F2"].girls == "—" and facilities["F1"].girls == "40"
    assert by_name(view.county_rows)["County"].girls == "69"


def test_facilities_without_a_township_add_up_to_their_own_row() -> None:
    """Facilities without a township sum into the row "Township not recorded", and it with the townships into
    the county: a lone small one among them withholds a second one of them, not a facility of a township."""
    view = view_of([(1, None, MONTH, 45, 40), (2, None, MONTH, 8, 2), (3, 1, MONTH, 50, 20), (4, 1, MONTH, 50, 30)])
    assert [row.name for row in view.facilities if row.withheld] == ["F1"]
    assert [row.name for row in view.townships] == ["T1", "Township not recorded"]
    assert not any(row.withheld for row in view.townships)


def test_a_facility_counted_under_two_townships_ties_them_into_one_group() -> None:
    counts = [
        selectors._Count(1, 1, JAN, 10, 10),
        selectors._Count(1, 2, dt.date(2026, 2, 1), 10, 10),
        selectors._Count(2, 1, JAN, 5, 5),
        selectors._Count(3, 3, JAN, 5, 5),
    ]
    assert sorted((sorted(t, key=str), sorted(f)) for t, f in selectors._components(counts)) == [
        ([1, 2], [1, 2]),
        ([3], [3]),
    ]


def test_a_half_year_withholds_a_second_month_and_its_point_in_the_series() -> None:
    """The months of a half year add up to the county's row: February's 2 girls would be the half year's less
    the other months'. January, the smallest, is withheld too, in the table and in the year's series."""
    girls = [38, 2, 45, 49, 47, 50]
    counts = [(1, 1, dt.date(2026, m, 1), 50, girls[m - 1]) for m in range(1, 7)]
    history = [[dt.date(2025, m, 1).isoformat(), 50, 50] for m in range(7, 13)] + [
        [dt.date(2026, m, 1).isoformat(), 50, girls[m - 1]] for m in range(1, 7)
    ]
    view = view_of(counts, kind=Kind.HALF_YEARLY, history=history)
    months = {row.period_label: row.shown for row in view.months}
    assert months["2026-02"].girls == "<5" and months["2026-01"].girls == "—"
    assert [row.period_label for row in view.months if row.withheld] == ["2026-01"]
    series = {p.label: p for p in selectors.series_points(view.history, published=True)}
    assert series["2026-01"].ratio is None and series["2026-02"].ratio is None
    assert series["2026-03"].ratio == pytest.approx(100 * 50 / 45) and series["2025-12"].ratio == 100.0


def test_a_monthly_bulletins_one_month_is_the_county_row_and_withholds_nothing() -> None:
    view = view_of([(1, 1, MONTH, 45, 40), (2, 1, MONTH, 30, 25)])
    assert len(view.months) == 1 and not any(row.withheld for row in [*view.months, *view.county_rows])


def test_published_charts_leave_out_what_the_tables_withhold() -> None:
    view = view_of(
        [
            (1, 1, MONTH, 45, 40),
            (2, 1, MONTH, 9, 3),
            (3, 1, MONTH, 30, 25),
            (4, 2, MONTH, 50, 47),
            (5, 2, MONTH, 48, 44),
        ]
    )
    points, left_out = selectors.funnel_points(view.funnel_rows(), published=True)
    assert sorted(p.label for p in points) == ["F1", "F4", "F5", "T1", "T2"] and left_out == 2  # F2 small, F3 withheld
    exact, _left_out = selectors.funnel_points(view.funnel_rows(), published=False)
    assert "F3" in [p.label for p in exact]  # the bureau's own view is exact


# --- Every group of any bulletin ------------------------------------------------------------------

small_or_not = st.one_of(st.integers(0, 6), st.integers(0, 60), st.integers(100, 900))


@st.composite
def bulletins(draw: Any) -> tuple[str, list[tuple[int, int | None, dt.date, int, int]]]:
    """A county: up to 4 townships (and facilities without one), up to 4 facilities each, one month or six."""
    kind = draw(st.sampled_from([Kind.MONTHLY, Kind.HALF_YEARLY]))
    months = [MONTH] if kind == Kind.MONTHLY else [dt.date(2026, m, 1) for m in range(1, 7)]
    townships = draw(st.lists(st.sampled_from([1, 2, 3, 4, None]), min_size=1, max_size=5, unique=True))
    counts, facility = [], 0
    for township in townships:
        for _ in range(draw(st.integers(1, 4))):
            facility += 1
            for month in draw(st.lists(st.sampled_from(months), min_size=1, max_size=len(months), unique=True)):
                counts.append((facility, township, month, draw(small_or_not), draw(small_or_not)))
    return kind, counts


def groups_of(view: selectors.BulletinView, counts: list[Any]) -> list[list[selectors.Row]]:
    """The groups as the generated county has them: each township with its facilities, the county with its
    townships and with its months."""
    facilities_of: dict[Any, set[int]] = defaultdict(set)
    for f, t, *_rest in counts:
        facilities_of[t].add(f)
    townships = {row.cell.unit: row for row in view.townships}
    facilities = {row.cell.unit: row for row in view.facilities}
    assert view.county is not None
    return [
        [view.county, *view.townships],
        [view.county, *view.months],
        *([townships[t], *(facilities[f] for f in sorted(fs))] for t, fs in facilities_of.items()),
    ]


@settings(max_examples=150, deadline=None)
@given(bulletins())
def test_no_group_of_a_bulletin_has_a_lone_hidden_count(bulletin: Any) -> None:
    kind, counts = bulletin
    view = view_of(counts, kind=kind)
    for group in groups_of(view, counts):
        total, parts = group[0], group[1:]
        for measure in srb.MEASURES:
            # The groups are real: the parts add up to the total.
            assert sum(getattr(row.cell, measure) for row in parts) == getattr(total.cell, measure)
            hidden = [getattr(row.shown, measure) in HIDDEN for row in parts]
            total_hidden = getattr(total.shown, measure) in HIDDEN
            assert sum(hidden) != 1 or total_hidden, (measure, [(r.name, r.shown) for r in group])
            assert not (total_hidden and sum(hidden) == 0), (measure, [(r.name, r.shown) for r in group])
    for row in [*view.county_rows, *view.months, *view.townships, *view.facilities]:
        shown = row.shown
        if {shown.boys, shown.girls} & set(HIDDEN):
            assert shown.ratio == shown.interval == srb.WITHHELD and shown.births in HIDDEN
        else:
            assert shown.boys == str(row.cell.boys) and shown.girls == str(row.cell.girls)
    published = {p.label for p in selectors.funnel_points(view.funnel_rows(), published=True)[0]}
    assert published == {row.name for row in view.funnel_rows() if row.shown.ratio not in HIDDEN}


# --- The exports carry it ---------------------------------------------------------------------------


@pytest.fixture
def published(driver: Any, births: Any) -> Bulletin:
    """County A: Town A1's Hospital A (560 boys, 440 girls) and Centre A (7, 3); Town A2's Clinic A2 (40, 38).
    Centre A's 3 girls would be Town A1's 443 less Hospital A's 440: Hospital A's girls are withheld."""
    w = driver.world
    births.add(w.hospital_a, MONTH, 560, 440)
    births.add(w.centre_a, MONTH, 7, 3)
    births.add(w.clinic_a2, MONTH, 40, 38)
    with time_machine.travel(AFTER_THE_10TH, tick=False):
        assert services.bulletins_compile_due() >= 1
    return driver.publish(driver.bulletin())


@pytest.mark.django_db
def test_the_excel_file_withholds_the_second_count(driver: Any, published: Bulletin) -> None:
    response = driver.client(driver.world.director).get(driver.url("export", published, fmt="xlsx"))
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    sheets = {sheet.title: [list(r) for r in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets}
    rows = {row[0]: row[1:6] for row in sheets["Facilities"][1:]}
    assert rows["Hospital A"] == ["560", "—", "—", "—", "—"]
    assert rows["Centre A"] == ["7", "<5", "—", "—", "—"]
    assert rows["Clinic A2"] == ["40", "38", "78", "105.3", rows["Clinic A2"][4]]
    assert {row[0]: row[1:3] for row in sheets["Townships"][1:]}["Town A1"] == ["567", "443"]
    assert {row[0]: row[3] for row in sheets["Flagged units"][1:]}["Hospital A"] == "—"  # the same row
    every = [value for rows_ in sheets.values() for row in rows_ for value in row]
    assert "440" not in every and "1000" not in every and "127.3" not in every


@pytest.mark.django_db
def test_the_pdf_withholds_the_second_count(driver: Any, published: Bulletin) -> None:
    response = driver.client(driver.world.inspector).get(driver.url("export", published, fmt="pdf"))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    cells = text.split("\n")  # each table cell on its line
    hospital = cells.index("Hospital A")
    assert cells[hospital : hospital + 6] == ["Hospital A", "560", "—", "—", "—", "—"]
    centre = cells.index("Centre A")
    assert cells[centre : centre + 6] == ["Centre A", "7", "<5", "—", "—", "—"]
    assert "440" not in text and "127.3" not in text and "443" in text


@pytest.mark.django_db
def test_the_page_and_its_funnel_withhold_the_second_count(driver: Any, published: Bulletin) -> None:
    page = driver.client(driver.world.director).get(driver.url("process_detail", published)).content.decode()
    assert ">560<" in page and ">440<" not in page and "127.3" not in page
    assert "2 units with a withheld count or without girls are not plotted." in page


def test_the_sections_that_both_exports_write_withhold_it() -> None:
    view = view_of([(1, 1, MONTH, 560, 440), (2, 1, MONTH, 7, 3), (3, 2, MONTH, 40, 38)])
    facilities = dict(exports.sections(view))["Facilities"]
    assert [row[:5] for row in facilities[1:]] == [
        ["F1", "560", "—", "—", "—"],
        ["F2", "7", "<5", "—", "—"],
        ["F3", "40", "38", "78", "105.3"],
    ]


# --- The flag beside hidden counts ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("boys", "girls", "withheld", "shown"),
    [
        (5, 0, frozenset(), False),  # flagged at 0 girls only: "<5" girls and a warning would say 0
        (12, 4, frozenset(), False),  # not flagged at 4 girls, flagged below: the blank would say 4
        (30, 3, frozenset(), True),  # an alarm whatever the "<5" hides: shown, it gives nothing away
        (3, 2, frozenset(), False),  # two small counts: 0 boys and 4 girls would be a warning, so none is shown
        (560, 440, frozenset({"girls"}), True),  # a large withheld count: the same warning 436 to 444 girls
    ],
)
def test_a_flag_is_published_beside_hidden_counts_only_when_it_narrows_none(boys, girls, withheld, shown) -> None:
    cell = srb.Cell(unit="u", period=dt.date(2026, 1, 1), boys=boys, girls=girls)
    published = srb.published(cell, withheld)
    assert published.flag == (cell.flag if shown else srb.WITHHELD)


@settings(max_examples=300, deadline=None)
@given(boys=st.integers(0, 60), girls=st.integers(0, 60), hide_girls=st.booleans())
def test_no_published_flag_pins_a_hidden_count_to_fewer_than_five_values(boys, girls, hide_girls) -> None:
    """Whatever is published of a row, at least five values of each hidden count agree with it, flag included."""
    withheld = frozenset({"girls"}) if hide_girls and girls >= srb.SMALL_CELL else frozenset()
    cell = srb.Cell(unit="u", period=dt.date(2026, 1, 1), boys=boys, girls=girls)
    published = srb.published(cell, withheld)
    if published.flag == srb.WITHHELD or not (cell.small or withheld):
        return
    hidden_girls = girls < srb.SMALL_CELL or bool(withheld)
    candidates = range(srb.SMALL_CELL) if girls < srb.SMALL_CELL else range(girls - 4, girls + 5)
    if hidden_girls and boys >= srb.SMALL_CELL:
        agreeing = [g for g in candidates if srb.flag(boys, g) == published.flag]
        assert len(agreeing) >= srb.SMALL_CELL, (boys, girls, published.flag, agreeing)
