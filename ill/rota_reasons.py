"""Why a lender stands where it does in a rota, kept as data and said in the reader's language.

Routing (ill.routing) stores on each rota entry a code and the numbers it ranked by
(RotaEntry.reason_data); pages and notices render them here, in the active language. The
English sentence is still written to RotaEntry.reason for API clients and for entries made
before reasons were data (a migration converted those it could parse).

reason_data, for a lender that was asked::

    {"code": "ranked", "named_first": false, "open_loans": 0, "limit": 3 | null,
     "over_limit": false, "on_shelf": true, "lent": 3, "borrowed": 1, "proximity": 0|1|2,
     "asked": 4, "filled": 4, "default_rate": 0.9, "answer_days": 1.5 | null,
     "policy": {"reason": "allowed", "kind": "bilateral", "name": "...", "service": "loan"}}

and for one passed over: ``{"code": "skipped", "policy": {...}}`` (policies.terms words).
"""

from __future__ import annotations

from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from policies.terms import explanation_text

RANKED, SKIPPED, CHOSEN_BY_STAFF = "ranked", "skipped", "chosen_by_staff"

NAMED_FIRST = _(
    "Named by the requesting library, asked in its order (ISO 18626 supplyingAgencyId, supplierInfo)"
)
OVER_LIMIT = _("over the agreed maximum of open loans (%(open)s/%(limit)s)")
WITHIN_LIMIT = _("within open-loan limit (%(open)s/%(limit)s)")
ON_SHELF = _("copy on the shelf")
ON_LOAN = _("copies on loan now")
LOAD = _("lent %(lent)s, borrowed %(borrowed)s in the last year")
PROXIMITY = (_("same city"), _("same province"), _("other province"))
FILLED = _("filled %(filled)s of %(asked)s asked")
NO_HISTORY = _("no history (counted at %(rate)s)")
ANSWER_SPEED = _("answers in %(days)s days on average")
NOT_ASKED = _("Not asked: %(why)s.")
CHOSEN = _("Chosen by staff of the requesting library (library %(library)s).")
# ask_next_lender's note on an entry passed over when its turn came
PAUSED_WHEN_ITS_TURN_CAME = _("Paused or inactive when its turn came.")
NOBODY_HOLDS_IT = _("No member library holds a lendable copy of this item.")


def rota_reason_text(data: dict) -> str:
    """The reason as a sentence in the active language; "" when there is no data."""
    if not data:
        return ""
    policy = explanation_text(data.get("policy") or {})
    passed_over = " " + gettext(PAUSED_WHEN_ITS_TURN_CAME) if data.get("passed_over") else ""
    if data.get("code") == SKIPPED:
        return gettext(NOT_ASKED) % {"why": policy} + passed_over
    full_stop = pgettext("end of a sentence", ". ").strip()
    if data.get("code") == CHOSEN_BY_STAFF:
        return gettext(CHOSEN) % {"library": data.get("library", "")} + " " + policy + full_stop + passed_over
    limit = data.get("limit")
    numbers = {"open": data.get("open_loans", 0), "limit": "∞" if limit is None else limit}
    parts = [
        gettext(OVER_LIMIT if data.get("over_limit") else WITHIN_LIMIT) % numbers,
        gettext(ON_SHELF if data.get("on_shelf") else ON_LOAN),
        gettext(LOAD) % {"lent": data.get("lent", 0), "borrowed": data.get("borrowed", 0)},
        gettext(PROXIMITY[min(max(int(data.get("proximity", 2)), 0), 2)]),
    ]
    if data.get("asked"):
        parts.append(gettext(FILLED) % {"filled": data.get("filled", 0), "asked": data["asked"]})
    else:
        parts.append(gettext(NO_HISTORY) % {"rate": f"{data.get('default_rate', 0.9):.0%}"})
    if data.get("answer_days") is not None:
        parts.append(gettext(ANSWER_SPEED) % {"days": f"{data['answer_days']:.1f}"})
    if data.get("named_first"):
        parts.insert(0, gettext(NAMED_FIRST))
    separator = pgettext("between the parts of a rota reason", "; ")
    end = pgettext("end of a sentence", ". ")
    return separator.join(parts) + end + policy + (full_stop if policy else "") + passed_over


def end_of_rota_lines(reasons: list) -> list[str]:
    """The end-of-rota event's account of each lender, in the active language; lines stored
    as English text before reasons were data are shown as they were stored."""
    from ill.models import RotaEntry
    from ill.states import REASONS_UNFILLED

    if not reasons:
        return [gettext(NOBODY_HOLDS_IT)]
    lines = []
    for item in reasons:
        if isinstance(item, str):
            lines.append(item)
            continue
        status = item.get("status", "")
        what = str(RotaEntry.Status(status).label) if status in RotaEntry.Status.values else status
        unfilled = item.get("reason_unfilled", "")
        detail = str(REASONS_UNFILLED.get(unfilled, unfilled)) or rota_reason_text(item.get("skipped") or {})
        lines.append(f"{item.get('lender', '')}: {what}" + (f" ({detail})" if detail else ""))
    return lines
