"""Who sees which bulletin and analysis, and the reads that turn birth counts into tables and charts.

Scope:
- a county's bureau officers and director, health supervision officers and
  inspectors see its bulletins at every stage and its sex-ratio analysis; only
  the bureau acts on a bulletin (inspectors and supervisors read);
- facility directors see the published bulletins of their facility's county and
  the analysis of their own facility;
- nobody else sees either. Nothing here goes below a facility-month: the births
  come as counts (workflows.cases.statistics), never as births.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from permissions.access import (
    bureau_county_ids,
    inspected_county_ids,
    is_active_user,
    oversight_county_ids,
    staff_facility_ids,
)
from permissions.models import Facility, Jurisdiction
from permissions.roles import Role
from workflows.cases import statistics

from . import charts, srb
from .models import Bulletin, Kind, Stage

OBJECT_TYPE = "bulletins.bulletin"

ACTION_LABELS = {
    "bulletins.compile": gettext_lazy("Bulletin compiled"),
    "bulletins.amend": gettext_lazy("Bulletin compiled again"),
    "bulletins.review": gettext_lazy("Bulletin reviewed: sent to sign"),
    "bulletins.sign": gettext_lazy("Bulletin signed or returned by the bureau director"),
    "bulletins.publish": gettext_lazy("Bulletin published"),
}
STEP_LABELS = {"sign": gettext_lazy("Sign and publish the bulletin")}


def change_labels() -> dict[str, Any]:
    from .models import Decision

    return {
        "fields": {
            "kind": gettext_lazy("kind"),
            "period": gettext_lazy("period"),
            "content_sha256": gettext_lazy("content digest"),
            "births": gettext_lazy("births"),
            "decision": gettext_lazy("decision"),
            "recipients": gettext_lazy("recipients"),
        },
        "values": {"kind": dict(Kind.choices), "decision": dict(Decision.choices), "stage": dict(Stage.choices)},
    }


def directed_facility_ids(user: Any) -> set[int]:
    return staff_facility_ids(user, roles={Role.FACILITY_DIRECTOR})


def bulletins_for_user(user: Any, *, write: bool = False) -> QuerySet[Bulletin]:
    """The bulletins the user may see (or, with write=True, act on: the county's bureau only)."""
    if not is_active_user(user):
        return Bulletin.objects.none()
    if write:
        return Bulletin.objects.filter(county_id__in=bureau_county_ids(user))
    facility_counties = Facility.objects.filter(pk__in=directed_facility_ids(user)).values("county_id")
    return Bulletin.objects.filter(
        Q(county_id__in=oversight_county_ids(user)) | Q(stage=Stage.PUBLISHED, county_id__in=facility_counties)
    )


def bulletin_roles(*, user: Any, case: Bulletin) -> set[str]:
    if not is_active_user(user):
        return set()
    roles: set[str] = set()
    county_facilities = set(Facility.objects.filter(county_id=case.county_id).values_list("pk", flat=True))
    for role, facility_id, jurisdiction_id in user.role_assignments.filter(revoked_at__isnull=True).values_list(
        "role", "facility_id", "jurisdiction_id"
    ):
        if jurisdiction_id == case.county_id and role in {Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR, Role.SUPERVISOR}:
            roles.add(role)
        if role == Role.FACILITY_DIRECTOR and case.is_published and facility_id in county_facilities:
            roles.add(role)
    if case.county_id in inspected_county_ids(user):
        roles.add(Role.INSPECTOR)
    return roles


# --- The analysis: which units a user may look at ---------------------------------------------


@dataclass(frozen=True)
class AnalysisScope:
    """The counties a user analyses whole, and the facilities (a director's own) they may see alone."""

    counties: list[Jurisdiction]
    facilities: list[Facility]

    @property
    def empty(self) -> bool:
        return not self.counties and not self.facilities


def analysis_scope(user: Any) -> AnalysisScope:
    if not is_active_user(user):
        return AnalysisScope([], [])
    counties = list(Jurisdiction.objects.filter(pk__in=oversight_county_ids(user)).order_by("code"))
    facilities = list(Facility.objects.filter(pk__in=directed_facility_ids(user)).select_related("county"))
    return AnalysisScope(counties, facilities)


# --- From counts to rows ------------------------------------------------------------------------


@dataclass
class Row:
    """One unit and period of a table: its name, its cell (exact), its published form.

    ``withheld``: the counts that complementary suppression withholds from the published form besides the
    small ones (``suppress_complementary``); the exact cell stays as it is, for the bureau's analysis.
    """

    name: str
    cell: srb.Cell
    unit_kind: str = ""
    period_label: str = ""
    withheld: frozenset[str] = frozenset()

    @property
    def shown(self) -> srb.PublishedCell:
        return srb.published(self.cell, self.withheld)

    @property
    def hidden(self) -> bool:
        """Published, the row shows no ratio: a count is under 5 or withheld."""
        return self.cell.small or bool(self.withheld)

    @property
    def interval95(self) -> str:
        bounds = self.cell.interval95
        return f"{srb.fmt_ratio(bounds[0])}–{srb.fmt_ratio(bounds[1])}" if bounds else "—"

    @property
    def interval998(self) -> str:
        bounds = self.cell.interval998
        return f"{srb.fmt_ratio(bounds[0])}–{srb.fmt_ratio(bounds[1])}" if bounds else "—"

    @property
    def ratio(self) -> str:
        return srb.fmt_ratio(self.cell.ratio)


FLAG_LABELS = {srb.WARNING: gettext_lazy("Warning (95%)"), srb.ALARM: gettext_lazy("Alarm (99.8%)")}
UNIT_LABELS = {
    "county": gettext_lazy("County"),
    "township": gettext_lazy("Township"),
    "facility": gettext_lazy("Facility"),
}
PERIOD_LABELS = {srb.MONTH: gettext_lazy("Month"), srb.QUARTER: gettext_lazy("Quarter"), srb.YEAR: gettext_lazy("Year")}


def period_label(start: datetime.date, period: str) -> str:
    if period == srb.QUARTER:
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    if period == srb.YEAR:
        return str(start.year)
    if period == srb.HALF_YEAR:
        return f"{start.year} H{1 if start.month <= 6 else 2}"
    return f"{start:%Y-%m}"


def unit_key(unit: str) -> Any:
    if unit == "facility":
        return lambda row: row.facility_id
    if unit == "township":
        return lambda row: row.township_id
    return lambda row: 0


def rows_of(
    counts: Iterable[Any], *, unit: str, period: str, names: dict[Any, str], county_name: str = ""
) -> list[Row]:
    """Table rows per unit and period, each unit named (a county's one row takes the county's name)."""
    unknown = _("Township not recorded")
    return [
        Row(
            name=county_name if unit == "county" else names.get(cell.unit, unknown),
            cell=cell,
            unit_kind=unit,
            period_label=period_label(cell.period, period),
        )
        for cell in srb.aggregate(counts, unit=unit_key(unit), period=period)
    ]


# --- Charts -------------------------------------------------------------------------------------


def funnel_texts(title: str) -> charts.Texts:
    return charts.Texts(
        title=title,
        x_label=_("Births"),
        y_label=_("Boys per 100 girls"),
        natural=_("Natural range 103–107"),
        warning=_("95% control limits"),
        alarm=_("99.8% control limits"),
        facilities=_("Facilities"),
        townships=_("Townships"),
        interval=_("95% interval"),
    )


def funnel_points(rows: Iterable[Row], *, published: bool) -> tuple[list[charts.FunnelPoint], int]:
    """The points to plot, and how many were left out: units without girls, and in published charts the
    units whose ratio the tables withhold (a point at 3 births and 200 would give the counts away; so would
    a point at 1,000 births and 127.3 for a unit whose girls complementary suppression withholds)."""
    points, left_out = [], 0
    for row in rows:
        ratio = row.cell.ratio
        if ratio is None or (published and row.hidden):
            left_out += 1
            continue
        points.append(charts.FunnelPoint(row.name, row.cell.births, ratio, row.cell.flag, row.unit_kind))
    return points, left_out


def series_points(rows: Iterable[Row], *, published: bool) -> list[charts.SeriesPoint]:
    points = []
    for row in rows:
        hidden = row.cell.ratio is None or (published and row.hidden)
        bounds = row.cell.interval95
        points.append(
            charts.SeriesPoint(
                label=row.period_label,
                births=row.cell.births,
                ratio=None if hidden else row.cell.ratio,
                low=None if hidden or bounds is None else bounds[0],
                high=None if hidden or bounds is None else bounds[1],
            )
        )
    return points


def funnel_svg(rows: list[Row], *, title: str, published: bool) -> tuple[str, int]:
    points, left_out = funnel_points(rows, published=published)
    return charts.render(charts.funnel_figure, points, funnel_texts(title), fmt="svg", title=title), left_out


def series_texts(title: str) -> charts.Texts:
    texts = funnel_texts(title)
    return charts.Texts(**{**texts.__dict__, "x_label": _("Period")})


def series_svg(rows: list[Row], *, title: str, published: bool) -> str:
    points = series_points(rows, published=published)
    return charts.render(charts.series_figure, points, series_texts(title), fmt="svg", title=title)


# --- A bulletin as its pages and exports show it ----------------------------------------------


def localised(value: Any) -> str:
    """A label compiled in every language (a dict by language code), in the reader's language."""
    if isinstance(value, dict):
        language = translation.get_language() or "en"
        return str(value.get(language) or value.get("en") or next(iter(value.values()), ""))
    return str(value)


@dataclass(frozen=True)
class _Count:
    facility_id: int
    township_id: int | None
    month: datetime.date
    boys: int
    girls: int


@dataclass
class BulletinView:
    """What a bulletin says, already published-safe where it is shown to people: see srb.published."""

    bulletin: Bulletin
    county: Row | None
    months: list[Row]
    townships: list[Row]
    facilities: list[Row]
    flagged: list[Row]
    history: list[Row]
    reports: list[dict[str, Any]]
    figures: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    @property
    def county_rows(self) -> list[Row]:
        return [self.county] if self.county else []

    def funnel_rows(self) -> list[Row]:
        return [*self.facilities, *self.townships]


def bulletin_counts(content: dict[str, Any]) -> list[_Count]:
    return [
        _Count(int(f), int(t) if t is not None else None, datetime.date.fromisoformat(m), int(b), int(g))
        for f, t, m, b, g in content.get("counts", [])
    ]


def _components(counts: Iterable[_Count]) -> list[tuple[set[int | None], set[int]]]:
    """Townships and facilities that add up to each other: usually a township and its facilities; a
    facility counted under two townships in the period ties them into one group."""
    townships_of: dict[int, set[int | None]] = {}
    for count in counts:
        townships_of.setdefault(count.facility_id, set()).add(count.township_id)
    components: list[tuple[set[int | None], set[int]]] = []
    for facility, townships in townships_of.items():
        touching = [c for c in components if c[0] & townships]
        merged: tuple[set[int | None], set[int]] = (set(townships), {facility})
        for component in touching:
            merged[0].update(component[0])
            merged[1].update(component[1])
            components.remove(component)
        components.append(merged)
    return components


def complementary_groups(
    *,
    county: Row | None,
    months: list[Row],
    townships: list[Row],
    facilities: list[Row],
    counts: Iterable[_Count],
) -> tuple[dict[Any, Row], list[srb.Group]]:
    """The published rows by key, and the groups of them that add up (docs/bulletins.md, "Small cells").

    Every count of the period falls in one township row (facilities without a township in the row "Township
    not recorded"), so the townships add up to the county, and each township's facilities to the township.
    The months are the county month by month within the period: they add up to the county too (a monthly
    bulletin's one month is the county row itself). The year's series (``history``) reaches before the
    period and has no total beside it: it is no group.
    """
    rows: dict[Any, Row] = {}
    groups: list[srb.Group] = []
    if county is None:
        return rows, groups
    rows[("county",)] = county
    rows.update({("month", row.cell.period): row for row in months})
    rows.update({("township", row.cell.unit): row for row in townships})
    rows.update({("facility", row.cell.unit): row for row in facilities})
    groups.append(srb.Group((("county",),), tuple(("township", row.cell.unit) for row in townships)))
    groups.append(srb.Group((("county",),), tuple(("month", row.cell.period) for row in months)))
    for township_ids, facility_ids in _components(counts):
        groups.append(
            srb.Group(
                tuple(("township", t) for t in sorted(township_ids, key=str)),
                tuple(("facility", f) for f in sorted(facility_ids)),
            )
        )
    return rows, groups


def suppress_complementary(
    *,
    county: Row | None,
    months: list[Row],
    townships: list[Row],
    facilities: list[Row],
    history: list[Row],
    counts: Iterable[_Count],
) -> None:
    """Withhold, in the published rows, the counts that a total would otherwise give away
    (srb.complementary_suppression); the year's series hides the months the months table withholds."""
    rows, groups = complementary_groups(
        county=county, months=months, townships=townships, facilities=facilities, counts=counts
    )
    withheld = srb.complementary_suppression(
        {key: row.cell for key, row in rows.items()}, groups, {key: row.name for key, row in rows.items()}
    )
    for key, measures in withheld.items():
        rows[key].withheld = measures
    by_period = {row.cell.period: row.withheld for row in months}
    for row in history:
        row.withheld = by_period.get(row.cell.period, row.withheld)


def bulletin_view(bulletin: Bulletin) -> BulletinView:
    content = bulletin.content or {}
    counts = bulletin_counts(content)
    facility_names = {int(k): v["name"] for k, v in content.get("facilities", {}).items()}
    township_names = {int(k): v for k, v in content.get("townships", {}).items()}
    whole = srb.HALF_YEAR if bulletin.kind == Kind.HALF_YEARLY else srb.MONTH
    county_name = content.get("county", str(bulletin.county))
    county_rows = rows_of(counts, unit="county", period=whole, names={}, county_name=county_name)
    townships = rows_of(counts, unit="township", period=whole, names=township_names)
    facilities = rows_of(counts, unit="facility", period=whole, names=facility_names)
    months = rows_of(counts, unit="county", period=srb.MONTH, names={}, county_name=county_name)
    history_counts = [
        _Count(0, None, datetime.date.fromisoformat(m), int(b), int(g)) for m, b, g in content.get("history", [])
    ]
    history = rows_of(history_counts, unit="county", period=srb.MONTH, names={}, county_name=county_name)
    suppress_complementary(
        county=county_rows[0] if county_rows else None,
        months=months,
        townships=townships,
        facilities=facilities,
        history=history,
        counts=counts,
    )
    # A row whose flag is withheld is not listed: its presence here would say what its flag column hides.
    flagged = [
        row for row in [*county_rows, *townships, *facilities] if row.cell.flag and row.shown.flag != srb.WITHHELD
    ]
    reports = [
        {
            "facility": facility_names.get(int(r["facility_id"]), str(r["facility_id"])),
            "month": r["month"][:7],
            "status": localised(r["status_label"]),
            "missing": r["status"] == "missing",
            "late": r["late"],
            "signed_at": r.get("signed_at") or "",
        }
        for r in content.get("reports", [])
    ]
    figures = [
        {
            "label": localised(group["label"]),
            "figures": [(localised(f["label"]), f["value"]) for f in group["figures"]],
        }
        for group in content.get("figures", [])
    ]
    return BulletinView(
        bulletin=bulletin,
        county=county_rows[0] if county_rows else None,
        months=months,
        townships=townships,
        facilities=facilities,
        flagged=flagged,
        history=history,
        reports=reports,
        figures=figures,
    )


def bulletin_chart_figures(view: BulletinView) -> list[tuple[str, Any, tuple[Any, ...], float]]:
    """The bulletin's charts as (title, build, arguments, height/width): published, so no small unit shows."""
    funnel_title = _("Facilities and townships against the control limits")
    series_title = _("Sex ratio at birth, month by month (county)")
    points, _left_out = funnel_points(view.funnel_rows(), published=True)
    return [
        (funnel_title, charts.funnel_figure, (points, funnel_texts(funnel_title)), 0.6),
        (
            series_title,
            charts.series_figure,
            (series_points(view.history, published=True), series_texts(series_title)),
            3.6 / 7.0,
        ),
    ]


def bulletin_charts(view: BulletinView) -> dict[str, Any]:
    rendered = [
        charts.render(build, *args, fmt="svg", title=title)
        for title, build, args, _ratio in bulletin_chart_figures(view)
    ]
    _points, left_out = funnel_points(view.funnel_rows(), published=True)
    return {"funnel_svg": rendered[0], "funnel_left_out": left_out, "series_svg": rendered[1]}


def page_context(*, case: Bulletin, user: Any) -> dict[str, Any]:
    """What the bulletin's summary (its case page, its task pages) shows: the bulletin as it is published."""
    from .flows import BulletinFlow

    view = bulletin_view(case)
    exports = {
        fmt: BulletinFlow.instance.reverse("export", kwargs={"process_pk": case.pk, "fmt": fmt})
        for fmt in ("pdf", "xlsx")
    }
    return {
        "bulletin": view,
        "flag_labels": FLAG_LABELS,
        "export_urls": exports,
        "small_cell": srb.SMALL_CELL,
        **bulletin_charts(view),
    }


# --- The workspace ------------------------------------------------------------------------------


def workspace_sections(*, user: Any, roles: set[str]) -> list[Any]:
    """Bulletins waiting on the bureau; the latest published ones for everyone who reads them."""
    from workflows.workspace import SECTION_LIMIT, Cell, Section

    from .flows import BulletinFlow

    flow = BulletinFlow.instance
    visible = bulletins_for_user(user)
    headers = [_("Bulletin"), _("Kind"), _("County"), _("Period"), _("Stage")]

    def rows(bulletins: Any) -> list[list[Any]]:
        return [
            [
                Cell(str(b), url=flow.reverse("process_detail", args=[b.pk])),
                Cell(b.get_kind_display()),
                Cell(b.county.name),
                Cell(b.period_label),
                Cell(b.get_stage_display(), strong=b.stage == Stage.SIGNING),
            ]
            for b in bulletins
        ]

    sections = []
    if roles & {Role.BUREAU_OFFICER, Role.BUREAU_DIRECTOR}:
        waiting = (
            visible.filter(county_id__in=bureau_county_ids(user), stage__in=[Stage.REVIEW, Stage.SIGNING])
            .select_related("county")
            .order_by("-period_start", "pk")
        )
        sections.append(
            Section(
                key="bulletins-open",
                title=_("Bulletins to review and sign"),
                headers=headers,
                rows=rows(waiting[:SECTION_LIMIT]),
                total=waiting.count(),
                see_all_url=flow.reverse("index"),
                empty=_("No bulletin is waiting."),
                actions=[(_("Sex-ratio analysis"), flow.reverse("analysis"))],
            )
        )
    if roles & {Role.FACILITY_DIRECTOR, Role.INSPECTOR, Role.SUPERVISOR}:
        published = visible.filter(stage=Stage.PUBLISHED).select_related("county").order_by("-period_start", "pk")
        sections.append(
            Section(
                key="bulletins-published",
                title=_("Published bulletins"),
                headers=headers,
                rows=rows(published[:SECTION_LIMIT]),
                total=published.count(),
                see_all_url=flow.reverse("index"),
                empty=_("No bulletin has been published yet."),
                actions=[(_("Sex-ratio analysis"), flow.reverse("analysis"))],
            )
        )
    return sections


def recipients_of_publication(county: Jurisdiction) -> list[int]:
    """Who hears of a published bulletin: the county's facility directors and its inspectors (city ones too)."""
    from permissions.models import RoleAssignment

    ancestors = [j.pk for j in county.ancestors_and_self()]
    return sorted(
        set(
            RoleAssignment.objects.active()
            .filter(
                Q(role=Role.FACILITY_DIRECTOR, facility__county=county)
                | Q(role=Role.INSPECTOR, jurisdiction_id__in=ancestors)
            )
            .values_list("user_id", flat=True)
        )
    )


def counts_for(*, county: Any, start: datetime.date, end: datetime.date) -> list[Any]:
    """The accepted facility-month birth counts of the county (through the kit's statistics registry only)."""
    return statistics.birth_counts(county=county, start=start, end=end)
