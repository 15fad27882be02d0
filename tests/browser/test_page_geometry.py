"""Every page kind, in Urdu and English, at phone (412 px) and desktop (1280 px) width:
no text box overlaps another, nothing runs past the viewport or out of its container, and
every form control can be clicked (its centre hits the control or its own label).

Measured with element geometry in the browser (GEOMETRY_SCRIPT), not by eye.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from catalogue import services
from catalogue.demo import URDU_BOOKS as DEMO_URDU_BOOKS
from evidence import overlap
from ill.services import ill_request_create, ill_request_transition
from members.email import DEMO_MAILBOX_BACKEND
from members.models import OutboundEmail, Role, User
from members.services import staff_invite
from policies.models import AgreementKind, AgreementStatus
from policies.services import policy_draft_start
from tests.browser.tap_targets import MIN_TARGET, SMALL_TARGETS
from tests.catalogue.factories_search import make_record
from tests.desk.factories import running_import
from tests.factories import LibrarianFactory
from tests.policies.factories import AgreementFactory, PolicyVersionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 412
WIDTHS = (PHONE_WIDTH, 1280)
BACKEND = "members.backends.EmailOrUsernameBackend"
LANGUAGES = ("ur", "en")

# Returns the faults of the page as text: boxes past the viewport, text boxes that overlap
# (neither inside the other), and controls whose centre another element covers. Elements
# hidden, off screen by design (visually-hidden, collapsed) or inside a scrolling box
# (tables scroll sideways on a phone) are left out.
GEOMETRY_SCRIPT = """
() => {
  const faults = [];
  const width = document.documentElement.clientWidth;
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none" || Number(style.opacity) === 0) return false;
    if (el.closest(".visually-hidden, .visually-hidden-focusable, [hidden], .collapse:not(.show), .dropdown-menu:not(.show), .modal:not(.show), .offcanvas:not(.show)")) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const inScroller = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === "auto" || o === "scroll") return true;
    }
    return false;
  };
  const name = (el) => {
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40);
    return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).slice(0, 2).join(".") : ""} "${text}"`;
  };
  const all = [...document.body.querySelectorAll("*")].filter(visible);
  if (document.documentElement.scrollWidth > width + 1) {
    faults.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${width}px viewport`);
  }
  for (const el of all) {
    if (inScroller(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 || r.left < -1) faults.push(`past the viewport: ${name(el)} (${Math.round(r.left)}..${Math.round(r.right)})`);
  }
  // Text boxes: elements with their own text, measured by their text's line boxes.
  const texts = [];
  for (const el of all) {
    if (inScroller(el) || ["SCRIPT", "STYLE", "OPTION"].includes(el.tagName)) continue;
    for (const node of el.childNodes) {
      if (node.nodeType !== Node.TEXT_NODE || !node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        if (r.width > 1 && r.height > 1) texts.push({ el, r });
      }
    }
  }
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 2
    && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 2;
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i], b = texts[j];
      if (a.el === b.el || a.el.contains(b.el) || b.el.contains(a.el)) continue;
      if (overlap(a.r, b.r)) faults.push(`text overlaps: ${name(a.el)} and ${name(b.el)}`);
    }
  }
  // Controls: the centre of each must hit the control itself (or its label, or inside it).
  for (const el of all.filter((e) => e.matches("input:not([type=hidden]), select, textarea, button, a.btn"))) {
    if (inScroller(el)) continue;
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    // measured where the page is scrolled to (elementFromPoint sees only the viewport)
    if (y < 1 || y > document.documentElement.clientHeight - 1 || x < 1 || x > width - 1) continue;
    const hit = document.elementFromPoint(x, y);
    const ok = hit && (hit === el || el.contains(hit) || (el.labels && [...el.labels].some((l) => l.contains(hit))));
    if (!ok) faults.push(`cannot be clicked: ${name(el)} (its centre is under ${hit ? name(hit) : "nothing"})`);
  }
  return [...new Set(faults)];
}
"""

# The page scrolled a screen at a time, measured at each stop (elementFromPoint sees only
# what is on screen).
SCROLL_AND_CHECK = """
async () => {
  const faults = new Set();
  const step = Math.max(200, window.innerHeight - 100);
  for (let y = 0; ; y += step) {
    window.scrollTo(0, y);
    await new Promise((resolve) => requestAnimationFrame(() => resolve()));
    for (const fault of (__CHECK__)()) faults.add(fault);
    if (y + window.innerHeight >= document.documentElement.scrollHeight) break;
  }
  return [...faults];
}
""".replace("__CHECK__", GEOMETRY_SCRIPT)


@pytest.fixture
def consortium_data(library, other_library, patron, librarian, library_admin, consortium_admin, settings):
    """A catalogue, an ILL request seen by both libraries, a policy with a draft, an
    agreement, a staff invitation and the demo mailbox with its emails."""
    library.name_ur = "ہوم یونیورسٹی"
    library.save(update_fields=["name_ur"])
    other_library.name_ur = "اوے یونیورسٹی"
    other_library.save(update_fields=["name_ur"])
    LibrarianFactory(username="lender-librarian", library=other_library)
    agreement = AgreementFactory(
        name="Consortium ILL", kind=AgreementKind.CONSORTIUM_WIDE, loan_period_days=21,
        services_allowed=["loan", "copy"],
    )  # fmt: skip
    record = make_record(
        title="Pākistānī ʻaurat dorāhe par : tārīkh aur siyāsat",
        title_vernacular="پاکستانی عورت دوراہے پر",
        authors=["Ḥaidar, Qurratulʻain"],
        publisher="Sang-i Mīl Pablīkeshanz",
        place="Lāhaur",
        language="urd",
        year=1990,
        libraries=[other_library],
    )
    history = make_record(
        title="History of Pakistan, 1947-1971", language="eng", libraries=[library, other_library]
    )
    ended = ill_request_create(actor=patron, bib_record_id=history.pk)
    ill_request_transition(request_id=ended.pk, action="cancel", actor=patron)  # (invited to rate it)
    request = ill_request_create(actor=patron, bib_record_id=record.pk)
    ill_request_transition(request_id=request.pk, action="validate", actor=librarian)
    draft_agreement = AgreementFactory(
        name="Home and Away lending", status=AgreementStatus.DRAFT, parties=[library, other_library]
    )
    policy = PolicyVersionFactory().policy
    draft = PolicyVersionFactory().policy
    policy_draft_start(actor=consortium_admin, policy=draft)
    job = services.import_path(actor=None, library=library, path=DEMO_URDU_BOOKS, processes=1)
    running = running_import(library)
    staff_invite(actor=library_admin, library=library, email="new.librarian@home.edu.pk", role=Role.LIBRARIAN)
    invitation = next(m for m in mail.outbox if "new.librarian@home.edu.pk" in m.to).body
    invitation_path = invitation[invitation.index("/invitations/") :].split()[0]
    settings.EMAIL_DELIVERY_BACKEND = DEMO_MAILBOX_BACKEND
    overlap.take_snapshot()
    return {
        "record": record, "request": request, "policy": policy, "draft": draft, "job": job, "running": running, "ended": ended,
        "agreement": agreement, "draft_agreement": draft_agreement, "invitation": invitation_path,
    }  # fmt: skip


def _pages(data) -> dict[str, list[str]]:
    """Paths of every page kind, by who sees them."""
    return {
        "visitor": [
            "/", "/search/?q=pakistan", f"/records/{data['record'].pk}/", "/search/advanced/",
            "/libraries/", "/libraries/PK-HOME/", "/policies/", f"/policies/{data['policy'].slug}/",
            "/accounts/login/", "/register/", "/accounts/password_reset/", data["invitation"],
            f"/policies/{data['policy'].slug}/v1/", "/state-of-sharing/",
        ],
        "patron": [
            "/ill/my-requests/", f"/ill/my-requests/{data['request'].pk}/", f"/ill/my-requests/{data['ended'].pk}/",
        ],
        "librarian": [
            "/ill/borrowing/", f"/ill/requests/{data['request'].pk}/", "/imports/new/", "/imports/",
            f"/imports/{data['job'].pk}/", f"/imports/{data['running'].pk}/", f"/cataloguing/records/{data['record'].pk}/", "/account/",
            "/desk/", "/before-you-buy/", "/collection-overlap/", "/collection-overlap/unique/",
            "/collection-overlap/matrix/",
        ],
        "lender-librarian": ["/ill/lending/", "/ill/lending/pull-slips/", "/desk/"],
        "libadmin": ["/desk/", "/my-library/", "/ill/requests/new/"],
        "cadmin": [
            "/desk/", "/ill/reports/", "/reports/annual/2026/", "/manage/members/", "/manage/policies/", "/manage/agreements/new/",
            "/agreements/", "/manage/agreements/matrix/", "/manage/holidays/",
            f"/manage/policies/{data['draft'].slug}/edit/", f"/agreements/{data['agreement'].pk}/",
            f"/manage/agreements/{data['draft_agreement'].pk}/edit/", "/manage/members/PK-HOME/",
            "/manage/mailbox/", f"/manage/mailbox/{OutboundEmail.objects.latest('pk').pk}/",
            "/collection-overlap/",
        ],
    }  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_kind_has_no_overlap_overflow_or_covered_control(
    chromium, live_server, consortium_data, language
):
    faults: list[str] = []
    for who, paths in _pages(consortium_data).items():
        for width in WIDTHS:
            context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
            context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
            page = context.new_page()
            if who != "visitor":
                client = Client()
                client.force_login(User.objects.get(username=who), backend=BACKEND)
                cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
                context.add_cookies(
                    [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
                )
            for path in paths:
                response = page.goto(path)
                assert response.status == 200, (path, who, response.status)
                page.wait_for_load_state("networkidle")
                for fault in page.evaluate(SCROLL_AND_CHECK):
                    faults.append(f"{language} {width}px {path}: {fault}")
                if width == PHONE_WIDTH:  # every link, button and field easy to tap on a phone
                    for small in page.evaluate(SMALL_TARGETS, MIN_TARGET):
                        faults.append(
                            f"{language} {width}px {path}: tap target under {MIN_TARGET} px: {small}"
                        )
            context.close()
    assert not faults, f"{len(faults)} faults:\n" + "\n".join(faults[:80])
