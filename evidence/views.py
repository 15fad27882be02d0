"""Evidence for cooperation: the "before you buy" check of a purchase list."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from evidence import purchase_check
from evidence.forms import PurchaseListForm
from members.permissions import access


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
