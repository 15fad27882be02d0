"""HTML views for interlibrary loan (thin: parse, authorise, call a service or selector)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalogue.models import BibRecord, Holding
from consortium import clock
from consortium.exceptions import DomainError, NotFound
from ill import exceptions as err
from ill import pull_slips as pull_slip_layouts
from ill import (
    ratings,
    report_charts,
    report_csv,
    report_rows,
    reports,
    selectors,
    services,
    states,
    visibility,
)
from ill.forms import ActionForm, CitationForm, MessageForm, RatingForm, ReportPeriodForm, RequestForm
from ill.models import IllRequest
from ill.states import Role
from members.models import Library, User
from members.permissions import AUTHENTICATED, access, is_consortium_admin, works_at


def _error(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


@access("ill.request")
def request_new(request: HttpRequest) -> HttpResponse:
    """“Request this item”: a patron asks their home library; staff may also type a citation."""
    staff = works_at(request.user, None)
    record = None
    record_id = request.GET.get("record") or request.POST.get("record")
    if record_id:
        if not str(record_id).isdigit():
            raise Http404
        record = get_object_or_404(BibRecord, pk=int(record_id))
    form_class = CitationForm if staff else RequestForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        patron_id = None
        if staff and data.get("patron_card"):
            patron = User.objects.filter(
                library_id=request.user.library_id, card_number=data["patron_card"]
            ).first()
            if patron is None:
                form.add_error("patron_card", _("No patron of your library has this card number."))
            else:
                patron_id = patron.pk
        if not form.errors:
            try:
                req = services.ill_request_create(
                    actor=request.user,
                    bib_record_id=record.pk if record else None,
                    title=data.get("title", ""),
                    author=data.get("author", ""),
                    publisher=data.get("publisher", ""),
                    year=data.get("year", ""),
                    isbn=data.get("isbn", ""),
                    service_type=data["service_type"],
                    article_title=data["article_title"],
                    pages=data["pages"],
                    needed_by=data["needed_by"],
                    service_level=data["service_level"],
                    note=data["note"],
                    patron_id=patron_id,
                )
            except DomainError as exc:
                field = exc.details.get("field")
                form.add_error(field if field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Request %(ref)s sent to your library.") % {"ref": req.reference})
                if staff:
                    return redirect("ill-request", req.pk)
                return redirect("ill-my-request", req.pk)
    # Users of ILL systems ask for a check of local holdings before borrowing elsewhere.
    held_here = bool(
        record
        and Holding.objects.filter(
            bib_record=record, library_id=request.user.library_id, status=Holding.Status.AVAILABLE
        ).exists()
    )
    return render(
        request,
        "ill/request_new.html",
        {"form": form, "record": record, "staff": staff, "held_here": held_here},
    )


@access("ill.request")
def my_requests(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.patron_requests(patron_id=request.user.pk), 25).get_page(
        request.GET.get("page")
    )
    rows = [
        {
            "req": req,
            "status": visibility.status_label(req=req, reader=visibility.Reader.PATRON),
            "due": visibility.due_date(req=req, reader=visibility.Reader.PATRON),
        }
        for req in page
    ]
    return render(request, "ill/my_requests.html", {"page": page, "rows": rows})


@access("ill.request")
def my_request(request: HttpRequest, pk: int) -> HttpResponse:
    req = _own_request(request, pk)
    if req is None:
        return redirect("ill-request", pk)
    return _my_request_page(request, req)


def _own_request(request: HttpRequest, pk: int) -> IllRequest | None:
    """The patron's own request (None for its staff: they have their own page); 404 for others."""
    try:
        req, roles = selectors.request_for(request_id=pk, actor=request.user)
    except NotFound as exc:
        raise Http404 from exc
    return req if Role.PATRON in roles else None


def _my_request_page(
    request: HttpRequest, req: IllRequest, rating_form: RatingForm | None = None
) -> HttpResponse:
    actions = selectors.available_actions(req=req, roles={Role.PATRON})
    copy_url = None
    copy = getattr(req, "delivered_copy", None) if hasattr(req, "delivered_copy") else None
    if copy is not None:
        copy_url = reverse("ill-copy", args=[services.copy_token(copy)])
    rating = visibility.rating(req=req, reader=visibility.Reader.PATRON)
    if rating_form is None and rating is not None:
        rating_form = RatingForm(initial={"score": rating.score, "comment": rating.comment})
    return render(
        request,
        "ill/my_request.html",
        {
            "req": req,
            "view": visibility.patron_view(req=req),
            "actions": actions,
            "copy": copy,
            "copy_url": copy_url,
            "rating": rating,
            "rating_final": rating is not None and ratings.is_final(rating, clock.now()),
            "rating_form": rating_form,
        },
    )


@require_POST
@access("ill.request")
def my_request_rating(request: HttpRequest, pk: int) -> HttpResponse:
    """The patron rates their request that ended, or changes their rating within the week."""
    req = _own_request(request, pk)
    if req is None:
        raise PermissionDenied(err.ONLY_PATRON_RATES)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            ratings.rating_answer(request_id=pk, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            if exc.details.get("field") not in form.fields:
                _error(request, exc)  # not open to rating (yet, or any more): said above the page
                return redirect("ill-my-request", pk)
            form.add_error(exc.details["field"], exc.message)
        else:
            messages.success(request, _("Thank you: your rating is saved."))
            return redirect("ill-my-request", pk)
    return _my_request_page(request, req, rating_form=form)


def _queue(request: HttpRequest, *, lending: bool) -> HttpResponse:
    library_id = request.user.library_id
    status = request.GET.get("status", "")
    q = request.GET.get("q", "")
    attention = request.GET.get("attention") == "1"
    choices = states.supplier_choices() if lending else states.requester_choices()
    if status not in dict(choices) and status not in ("open", "answered"):
        status = ""
    select = selectors.lending_queue if lending else selectors.borrowing_queue
    qs = select(
        library_id=library_id, status="" if status == "answered" else status, q=q, attention=attention
    )
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "ill/queue.html",
        {
            "page": page,
            "lending": lending,
            "status": status,
            "q": q[:100],
            "attention": attention,
            "choices": choices,
            "counts": selectors.queue_counts(library_id=library_id),
            "answers": selectors.lending_answers(library_id=library_id)
            if lending and status == "answered"
            else None,
        },
    )


@access("ill.staff")
def borrowing_queue(request: HttpRequest) -> HttpResponse:
    return _queue(request, lending=False)


@access("ill.staff")
def lending_queue(request: HttpRequest) -> HttpResponse:
    return _queue(request, lending=True)


def _ids(request: HttpRequest) -> list[int]:
    values = request.POST.getlist("ids") if request.method == "POST" else request.GET.getlist("ids")
    # one "ids" per request ticked in the queue, or one comma-separated list (the slips' URL)
    values = [v for value in values for v in str(value).split(",")]
    return [int(v) for v in values if v.isdigit()][:200]


@access("ill.staff")
def pull_slips(request: HttpRequest) -> HttpResponse:
    """Printable pull slips for the chosen lending requests (no patron), A4 or 80 mm receipt.

    The queue's form POSTs the ticked requests (with its CSRF token); the answer is a redirect
    to a plain GET address of the ids and layout, so no token ever sits in a URL (browser
    history, server logs, a Referer) and the slips can be reloaded and printed again."""
    layout = request.GET.get("layout") or request.POST.get("layout") or "a4"
    layout = layout if layout in pull_slip_layouts.LAYOUTS else "a4"
    if request.method == "POST":
        ids = ",".join(str(pk) for pk in _ids(request))
        return redirect(
            f"{reverse('ill-pull-slips')}?{urlencode({'ids': ids, 'layout': layout})}", permanent=False
        )
    reqs = selectors.lending_queue(library_id=request.user.library_id).filter(pk__in=_ids(request))
    slips = pull_slip_layouts.pull_slips(requests=reqs, library_id=request.user.library_id)
    return render(request, "ill/pull_slips.html", {"slips": slips, "layout": layout})


@require_POST
@access("ill.staff")
def bulk_ship(request: HttpRequest) -> HttpResponse:
    shipped, failed = [], []
    for pk in _ids(request):
        try:
            services.ill_request_transition(request_id=pk, action="ship", actor=request.user)
            shipped.append(f"ILL-{pk}")
        except DomainError as exc:
            failed.append(f"ILL-{pk}: {exc.message}")
    if shipped:
        messages.success(request, _("Marked shipped: %(list)s") % {"list": ", ".join(shipped)})
    for line in failed:
        messages.error(request, line)
    return redirect("ill-lending")


@access("ill.staff")
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        req, roles = selectors.request_for(request_id=pk, actor=request.user)
    except NotFound:
        return _past_lender_detail(request, pk)
    staff_roles = roles & {Role.BORROWER, Role.LENDER}
    if not staff_roles:
        raise Http404
    reader = visibility.reader_of(staff_roles)
    is_borrower = reader == visibility.Reader.BORROWER
    return render(
        request,
        "ill/request_detail.html",
        {
            "req": req,
            "is_borrower": is_borrower,
            "patron": visibility.patron_identity(req=req, reader=reader),
            "rating": visibility.rating(req=req, reader=reader),
            "actions": selectors.available_actions(req=req, roles=staff_roles),
            "lines": visibility.timeline(req=req, reader=reader, library_id=req.supplier_id),
            "rota": visibility.rota(req=req, reader=reader),
            "messages_list": visibility.messages(req=req, reader=reader, library_id=req.supplier_id),
            "message_form": MessageForm(),
            "reasons": states.REFUSAL_REASONS,
            "reasons_unfilled": states.REASONS_UNFILLED,
            "reasons_retry": states.REASONS_RETRY,
            "conditions": states.LOAN_CONDITIONS,
            "forward_targets": selectors.forward_targets(req=req) if is_borrower else [],
            "lender_codes": list(
                Library.objects.lending().exclude(pk=req.borrower_id).values_list("code", flat=True)
            )
            if is_borrower and req.status == states.END_OF_ROTA
            else [],
            "validation_problem": services.validation_problem(req)
            if is_borrower and req.status == states.SUBMITTED
            else None,
        },
    )


def _past_lender_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A lender asked earlier sees its own part, read-only, after the request moved on."""
    try:
        req, entries, lines, messages_list = selectors.past_lender_part(
            request_id=pk, library_id=request.user.library_id
        )
    except NotFound as exc:
        raise Http404 from exc
    return render(
        request,
        "ill/request_past_lender.html",
        {"req": req, "entries": entries, "lines": lines, "messages_list": messages_list},
    )


@require_POST
@access(AUTHENTICATED)
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Every button on a request posts here; the transition service decides."""
    form = ActionForm(request.POST, request.FILES)
    form.is_valid()
    payload = form.payload() if form.is_valid() else {}
    try:
        services.ill_request_transition(request_id=pk, action=action, actor=request.user, **payload)
    except DomainError as exc:
        _error(request, exc)
    else:
        label = states.ACTIONS[action].label
        messages.success(request, _("Done: %(action)s.") % {"action": label})
    if request.POST.get("next") == "mine":
        return redirect("ill-my-request", pk)
    if not IllRequest.objects.filter(pk=pk).exists():
        raise Http404
    return redirect("ill-request", pk)


@require_POST
@access("ill.staff")
def request_message(request: HttpRequest, pk: int) -> HttpResponse:
    form = MessageForm(request.POST)
    body = form.cleaned_data["body"] if form.is_valid() else ""
    try:
        services.ill_message_send(request_id=pk, actor=request.user, body=body)
    except DomainError as exc:
        _error(request, exc)
    return redirect(reverse("ill-request", args=[pk]) + "#messages")


@require_POST
@access("ill.staff")
def rota_reorder(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a lender not yet asked one place up or down."""
    try:
        req, _roles = selectors.request_for(request_id=pk, actor=request.user)
    except NotFound as exc:
        raise Http404 from exc
    pending = list(
        req.rota.filter(round=req.rota_round, status="pending")
        .order_by("position")
        .values_list("pk", flat=True)
    )
    entry = int(request.POST.get("entry", "0") or 0) if str(request.POST.get("entry", "")).isdigit() else 0
    if entry in pending:
        i = pending.index(entry)
        j = i - 1 if request.POST.get("direction") == "up" else i + 1
        if 0 <= j < len(pending):
            pending[i], pending[j] = pending[j], pending[i]
    try:
        services.ill_rota_reorder(request_id=pk, actor=request.user, entry_ids=pending)
    except DomainError as exc:
        _error(request, exc)
    return redirect(reverse("ill-request", args=[pk]) + "#rota")


@access(AUTHENTICATED)
def copy_download(request: HttpRequest, token: str) -> HttpResponse:
    """A delivered copy, for its patron or the borrowing library, until the link expires."""
    try:
        copy = services.copy_for_token(token=token, actor=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(
        copy.file.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=copy.original_name or f"ILL-{copy.request_id}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@access("ill.report")
def consortium_report(request: HttpRequest) -> HttpResponse:
    """Fill rate, turnaround, balance and satisfaction for a period, with charts: of every
    member for a consortium admin, of their own library beside the consortium's totals for
    a member's staff (?library= is theirs, whatever the address says); each table as CSV with
    ?format=csv&table=<name>."""
    today = clock.today()
    staff_of = None if is_consortium_admin(request.user) else request.user.library
    # The last twelve whole months and this month so far (whole months read their month rows).
    initial = {"start": date(today.year - 1, today.month, 1), "end": today, "library": staff_of}
    form = ReportPeriodForm(request.GET or None, initial=initial, staff_of=staff_of)
    period = form.cleaned_data if form.is_bound and form.is_valid() else initial
    report = reports.ill_report(
        start=period["start"], end=period["end"], library=period["library"], staff_of=staff_of
    )
    if request.GET.get("format") == "csv" and (not form.is_bound or form.is_valid()):
        table = request.GET.get("table") or "libraries"
        if table not in report_csv.TABLES:
            raise Http404
        if staff_of is not None and table == "provinces":
            raise PermissionDenied  # a province of one member is that member's figures
        return report_csv.download(report, table)
    query = {key: value for key, value in request.GET.items() if key not in ("format", "table")}
    csv_query = urlencode({**query, "format": "csv"})
    charts = report_charts.report_charts(report, csv_query, provinces_shown=staff_of is None)
    rows = {
        "borrowing": report_rows.borrowing(report.rows),
        "lending": report_rows.lending(report.rows),
        "satisfaction": [(side, report_rows.ratings(table)) for side, table in report.satisfaction.tables],
    }
    return render(
        request,
        "ill/report.html",
        {"form": form, "report": report, "csv_query": csv_query, "charts": charts, "rows": rows},
    )
