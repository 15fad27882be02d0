"""Evidence for cooperation: the "before you buy" check of a purchase list, the public
state of sharing, and the annual reports."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import gettext as _

from evidence import annual, purchase_check
from evidence.forms import PurchaseListForm
from evidence.state_of_sharing import state_of_sharing as sharing_figures
from evidence.suppression import MIN_SHOWN
from members.models import Library
from members.permissions import PUBLIC, access, can

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
