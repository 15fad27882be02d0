"""Pull slips a page in the stacks can use: for each request the lender was asked to supply,
the lender's own copies of the title (call number, location, item barcode as a scannable
Code 128), sorted by location then call number so one walk through the stacks collects them;
printed on A4 or on an 80 mm receipt printer. No patron is shown: slips are the lender's.

The barcode's encoding (code sets, check digit) is python-barcode's; its bars are drawn here
as SVG rectangles with attributes only, because the portal's Content-Security-Policy allows
no inline style, which python-barcode's SVG writer uses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import groupby

from barcode import Code128
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from catalogue.models import Holding
from ill.models import IllRequest

LAYOUTS = ("a4", "receipt")
MODULE_WIDTH = 2  # SVG units per bar module; the image is scaled to the slip's width by CSS
BAR_HEIGHT = 50
QUIET_ZONE = 10  # modules of white each side, as Code 128 readers need


def barcode_svg(value: str) -> SafeString:
    """A Code 128 barcode of value as inline SVG (bars as <rect>, no style attribute)."""
    modules = "".join(Code128(value).build())
    rects, x = [], QUIET_ZONE
    for module, group in groupby(modules):  # runs of bars ("1") and spaces ("0")
        run = len(list(group))
        if module == "1":
            rects.append((x * MODULE_WIDTH, run * MODULE_WIDTH))
        x += run
    width = (x + QUIET_ZONE) * MODULE_WIDTH
    bars = format_html_join(
        "", '<rect x="{}" y="0" width="{}" height="{}"/>', ((a, w, BAR_HEIGHT) for a, w in rects)
    )
    return format_html(
        '<svg class="barcode" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-label="{}"'
        ' preserveAspectRatio="none">{}</svg>',
        width, BAR_HEIGHT, value, bars,
    )  # fmt: skip


@dataclass
class Copy:
    """One of the lender's copies of the requested title."""

    call_number: str
    location: str
    barcode: str
    status: str
    status_label: str
    lendable: bool

    @property
    def barcode_svg(self) -> SafeString | str:
        return barcode_svg(self.barcode) if self.barcode else ""


@dataclass
class Slip:
    request: IllRequest
    copies: list[Copy] = field(default_factory=list)

    @property
    def sort_key(self) -> tuple:
        """Location, then call number (case-insensitive) of the copy to pull; slips with no
        copy on record (citations) last, by reference."""
        if not self.copies:
            return (1, "", "", self.request.pk)
        first = self.copies[0]
        return (0, first.location.casefold(), first.call_number.casefold(), self.request.pk)


def pull_slips(*, requests: Iterable[IllRequest], library_id: int) -> list[Slip]:
    """Slips for the requests, each with the lender's copies of its title (the available,
    lendable ones first), sorted for a walk through the stacks. Two queries: the requests
    (given) and the copies."""
    slips = [Slip(request=req) for req in requests]
    record_ids = {slip.request.bib_record_id for slip in slips if slip.request.bib_record_id}
    copies: defaultdict[int, list[Copy]] = defaultdict(list)
    holdings = Holding.objects.filter(library_id=library_id, bib_record_id__in=record_ids).exclude(
        status=Holding.Status.WITHDRAWN
    )
    for h in holdings.order_by("location", "call_number", "pk"):
        copies[h.bib_record_id].append(
            Copy(h.call_number, h.location, h.barcode, h.status, str(h.get_status_display()), h.lendable)
        )
    for slip in slips:
        found = copies.get(slip.request.bib_record_id, [])
        # the copy to pull first: lendable and on the shelf
        slip.copies = sorted(found, key=lambda c: not (c.lendable and c.status == Holding.Status.AVAILABLE))
    return sorted(slips, key=lambda slip: slip.sort_key)
