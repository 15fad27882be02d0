"""Evidence for cooperation: the "before you buy" check of a purchase list, collection
overlap (unique titles, overlap between members, single copies) from the nightly
snapshot, the public state of sharing, and the annual reports."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from catalogue.models import BibRecord
from evidence import annual, overlap, overlap_csv, purchase_check, selectors
from evidence.forms import OverlapMemberForm, PurchaseListForm
from evidence.models import SingleCopyCount
from evidence.state_of_sharing import state_of_sharing as sharing_figures
from evidence.suppression import MIN_SHOWN
from members.models import Library
from members.permissions import PUBLIC, access, can, is_consortium_admin

UNIQUE_PAGE_SIZE = 50

# A visitor's browser may keep the page this long: the figures are recounted every 15
# minutes (evidence.state_of_sharing.CACHE_SECONDS), so a reload on mobile data within
# five minutes costs nothing and is at most that much older. Private: the page carries a
# CSRF token (the language switch), which a shared cache must not hand to someone else.
BROWSER_CACHE_SECONDS = 5 * 60


@access("staff")
def before_you_buy(request: HttpRequest) -> HttpResponse:
    """A librarian's purchase list, each line with the members that hold it and lend it."""
    lines, form = None, PurchaseListForm()
    if request.method == "POST":
        form = PurchaseListForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                lines = purchase_check.check(purchase_check.read_lines(form.cleaned_data["text"]))
            except purchase_check.ListTooLong as exc:
                form.add_error(None, _("The list has more than %(lines)s lines.") % {"lines": exc.args[0]})
    own = request.user.library_id
    summary = None
    if lines is not None:
        summary = {
            "lines": len(lines),
            "held_here": sum(1 for line in lines if line.held_by(own)),
            "lent_elsewhere": sum(1 for line in lines if not line.held_by(own) and line.lent_by_others(own)),
            "not_found": sum(1 for line in lines if not line.error and not line.found),
            "unreadable": sum(1 for line in lines if line.error),
        }
    return render(
        request,
        "evidence/before_you_buy.html",
        {"form": form, "lines": lines, "own": own, "summary": summary},
    )


def _overlap_member(request: HttpRequest) -> tuple[OverlapMemberForm | None, Library | None]:
    """Whose figures: a consortium admin chooses any active member (none: the consortium);
    a member's staff see their own library's."""
    if is_consortium_admin(request.user):
        form = OverlapMemberForm(request.GET if request.GET.get("library") else None)
        return form, form.cleaned_data["library"] if form.is_bound and form.is_valid() else None
    own = request.user.library
    asked = request.GET.get("library")
    if asked and asked != own.code:
        raise PermissionDenied(
            _("You can see your own library's figures; the consortium's admins can choose any member.")
        )
    return None, own


def _query(library: Library | None, **more: str) -> str:
    return urlencode({**({"library": library.code} if library else {}), **more})


@access("staff")
def collection_overlap(request: HttpRequest) -> HttpResponse:
    """A member's unique titles, its overlap with every other member and the subjects and
    decades where it holds the consortium's only copy (for an admin with no member chosen,
    the consortium's); every table as CSV with ?format=csv&table=<name>."""
    form, library = _overlap_member(request)
    snapshot = selectors.latest_snapshot()
    if request.GET.get("format") == "csv":
        table = request.GET.get("table") or "members"
        if (
            snapshot is None
            or table not in overlap_csv.TABLES
            or (table in overlap_csv.MEMBER_TABLES and library is None)
        ):
            raise Http404
        return overlap_csv.download(overlap_csv.Scope(snapshot, library), table)
    context = {
        "form": form,
        "library": library,
        "snapshot": snapshot,
        "definitions": overlap.DEFINITIONS,
        "csv_query": _query(library, format="csv"),
        "library_query": _query(library),
    }
    if snapshot is not None:
        everyone = selectors.members(snapshot)
        context.update(
            members=everyone,
            figures=selectors.figures_of(snapshot, library) if library else None,
            overlap_row=selectors.overlap_row(snapshot, library, everyone) if library else None,
            subjects=selectors.single_copies(
                snapshot, library, SingleCopyCount.Kind.SUBJECT, limit=selectors.SUBJECTS_SHOWN
            ),
            subjects_total=selectors.subject_count(snapshot, library),
            decades=selectors.single_copies(snapshot, library, SingleCopyCount.Kind.DECADE),
            subjects_shown=selectors.SUBJECTS_SHOWN,
        )
    return render(request, "evidence/overlap.html", context)


@access("staff")
def collection_overlap_matrix(request: HttpRequest) -> HttpResponse:
    """Member x member: how many titles each pair of members both hold. Counts of the union
    catalogue's titles, no reader's data: any member's staff may see it."""
    snapshot = selectors.latest_snapshot()
    rows = selectors.matrix(snapshot, selectors.members(snapshot)) if snapshot else []
    own = None if is_consortium_admin(request.user) else request.user.library_id
    # 40,000 cells at 200 members: written here (whole numbers only), not by the template's
    # loop, which took 0.4 s for them.
    rows = [(member, mark_safe(_matrix_cells(n, cells))) for n, (member, cells) in enumerate(rows)]
    return render(request, "evidence/overlap_matrix.html", {"snapshot": snapshot, "rows": rows, "own": own})


def _matrix_cells(diagonal: int, cells: list[int]) -> str:
    return "".join(
        f'<td class="text-end fw-semibold">{int(n)}</td>'
        if i == diagonal
        else f'<td class="text-end">{int(n)}</td>'
        for i, n in enumerate(cells)
    )


@access("staff")
def collection_overlap_unique(request: HttpRequest) -> HttpResponse:
    """The titles only this member holds, by title, a page at a time (all of them as CSV
    with ?format=csv), each linked to its record."""
    form, library = _overlap_member(request)
    snapshot = selectors.latest_snapshot()
    titles = selectors.unique_titles(snapshot, library) if snapshot and library else None
    if request.GET.get("format") == "csv":
        if titles is None:
            raise Http404
        return overlap_csv.download(
            overlap_csv.Scope(snapshot, library), "unique", _unique_csv_rows(request, library, titles)
        )
    page, records = None, {}
    if titles is not None:
        page = Paginator(titles, UNIQUE_PAGE_SIZE).get_page(request.GET.get("page"))
        ids = [row.bib_record_id for row in page.object_list]
        records = BibRecord.objects.only("title", "title_vernacular", "year", "format").in_bulk(ids)
        page.rows = [(row.bib_record_id, records.get(row.bib_record_id)) for row in page.object_list]
    return render(
        request,
        "evidence/overlap_unique.html",
        {
            "form": form,
            "library": library,
            "snapshot": snapshot,
            "page": page,
            "figures": selectors.figures_of(snapshot, library) if snapshot and library else None,
            "library_query": _query(library),
            "csv_query": _query(library, format="csv"),
        },
    )


def _unique_csv_rows(request: HttpRequest, library: Library, titles):
    yield ["library", "record", "title", "year", "url"]
    ids = titles.values_list("bib_record_id", flat=True)
    batch: list[int] = []

    def rows(batch: list[int]):
        records = BibRecord.objects.only("title", "year").in_bulk(batch)
        for record_id in batch:
            record = records.get(record_id)
            url = request.build_absolute_uri(reverse("record", args=[record_id]))
            yield [library.code, record_id, record.title if record else "", (record.year if record else "") or "",
                   url]  # fmt: skip

    for record_id in ids.iterator(chunk_size=2000):
        batch.append(record_id)
        if len(batch) == 2000:
            yield from rows(batch)
            batch = []
    yield from rows(batch)


@access(PUBLIC)
def state_of_sharing(request: HttpRequest) -> HttpResponse:
    """This year's cooperation in figures, for anyone: no login, no personal data."""
    sharing = sharing_figures()
    response = render(request, "evidence/state_of_sharing.html", {"sharing": sharing, "min_shown": MIN_SHOWN})
    if request.user.is_authenticated:
        patch_cache_control(response, private=True, no_cache=True)  # the navigation shows who is logged in
    else:
        patch_cache_control(response, private=True, max_age=BROWSER_CACHE_SECONDS)
    patch_vary_headers(response, ["Accept-Language", "Cookie"])  # the language: header or cookie
    response["Last-Modified"] = http_date(sharing.counted_at.timestamp())
    return response


@access("evidence.annual_report")
def annual_report(request: HttpRequest, year: int, code: str | None = None) -> HttpResponse:
    """A year's report for the consortium, or for one library (its staff and consortium admins)."""
    library = None
    if code is not None:
        library = Library.objects.filter(code=code).first()
        if library is None:
            raise Http404(_("No member library has the code %(code)s.") % {"code": code})
        if not can(request.user, "evidence.annual_report", library):
            raise PermissionDenied
    context = {"year": year, "library": library, "own_library": getattr(request.user, "library", None)}
    try:
        context["report"] = annual.annual_report(year=year, library=library)
    except annual.YearOutOfRange as exc:
        context.update(error=exc.message, years=list(range(exc.first, exc.latest + 1)))
        return render(request, "evidence/annual_report.html", context, status=404)
    context["years"] = context["report"].years
    return render(request, "evidence/annual_report.html", context)
