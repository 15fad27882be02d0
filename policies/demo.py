"""Demo data: the consortium's founding policies and agreements, made through the services.

Idempotent: policies are found by slug and agreements by name, so a second run creates
nothing. Libraries without an admin account in the demo signed the consortium-wide
agreement on paper at the founding meeting; their signatures are recorded as such.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from members.models import Library, Role, User
from policies import services
from policies.models import Agreement, AgreementAcceptance, AgreementKind, Policy

ILL_POLICY = """\
# Interlibrary loan

Adopted by the founding members of the consortium. It applies to every loan of a
returnable item from one member library to another.

## 1. Who may ask

1. Registered students, faculty and staff of a member library, through **their own
   library**. Requests go library to library; the lender never learns the patron's name.
2. Each member library decides which of its patrons may use interlibrary loan.

## 2. What may be lent

- Books and other returnable items the lending library lends to its own patrons.
- **Not lent:** manuscripts, rare books, reference works, and items the lender marks as
  not for loan. Theses are lent only where an agreement between the two libraries says so.

## 3. Answering requests

| Step | Deadline |
| --- | --- |
| Lender answers (supply, or cannot supply with a reason) | 3 working days |
| Lender ships after saying yes | 2 working days |
| Borrower confirms receipt | on the day of arrival |

Working days exclude Saturdays, Sundays and Pakistan's public holidays; Eid dates follow
the official moon-sighting announcement.

## 4. Loan period and renewals

The loan period is **14 days** from receipt at the borrowing library, with one renewal
of 14 days unless the lender recalls the item. Agreements between members may set
other periods, never above 90 days.

## 5. Loss and damage

The borrowing library is responsible from receipt until the item is back with the
lender, and pays the replacement cost plus a processing fee of PKR 500.
"""

DOCUMENT_DELIVERY_POLICY = """\
# Document delivery

Copies of journal articles and book chapters, supplied between member libraries for
private study and research.

## Scope

- One article from a journal issue, or one chapter (at most 10% of a book).
- Copies are made under section 57 of the Copyright Ordinance, 1962 (fair dealing for
  research and private study); the requesting library keeps the patron's declaration.

## Delivery

1. Scans are sent as PDF through the portal within **3 working days**.
2. Files are deleted from the portal 30 days after delivery.
3. No fee between members unless an agreement sets one.
"""

RECIPROCAL_BORROWING_POLICY = """\
# Reciprocal borrowing

Faculty and postgraduate students of a member library may visit another member's
library and borrow in person.

- Bring the home library's **consortium card** and a university identity card.
- Up to 3 items at a time, for 14 days; reference works, rare books and theses stay in
  the reading room.
- The visiting patron follows the host library's rules; the home library answers for
  items not returned.

> Walk-in borrowing applies only between members whose agreement allows it.
"""

POLICIES = [
    ("interlibrary-loan", "Interlibrary loan", "interlibrary_loan", ILL_POLICY),
    ("document-delivery", "Document delivery", "document_delivery", DOCUMENT_DELIVERY_POLICY),
    ("reciprocal-borrowing", "Reciprocal borrowing", "reciprocal_borrowing", RECIPROCAL_BORROWING_POLICY),
]
POLICIES_EFFECTIVE = date(2024, 1, 15)
PROTECTED = ["manuscript", "rare", "reference"]

CONSORTIUM_WIDE = "Ishtiraak consortium-wide sharing agreement"
BILATERALS = [
    (
        "LUMS–University of Karachi loan agreement",
        ("PK-LUMS", "PK-UOK"),
        date(2026, 1, 1),
        date(2027, 12, 31),
        {
            "services_allowed": ["loan", "copy"],
            "excluded_formats": PROTECTED,
            "loan_period_days": 21,
            "renewals_allowed": 2,
            "response_deadline_days": 3,
            "max_open_loans": 25,
            "fee_pkr": 0,
            "shipping_paid_by": "shared",
            "walk_in_borrowing": True,
        },
    ),
    (
        "QAU–University of Peshawar document delivery agreement",
        ("PK-QAU", "PK-UOP"),
        date(2026, 7, 1),
        date(2028, 6, 30),
        {
            "services_allowed": ["copy"],
            "excluded_formats": PROTECTED,
            "loan_period_days": 14,
            "renewals_allowed": 0,
            "response_deadline_days": 2,
            "fee_pkr": 100,
            "shipping_paid_by": "borrower",
            "walk_in_borrowing": False,
        },
    ),
]


def _library_admin(library: Library) -> User | None:
    return (
        User.objects.filter(library=library, role=Role.LIBRARY_ADMIN, is_active=True).order_by("pk").first()
    )


def _sign_all(agreement: Agreement, admin: User) -> None:
    """Each party signs: through its admin's account, or on paper (recorded by the admin)."""
    parties = list(agreement.parties.order_by("code"))
    staffed = [(lib, _library_admin(lib)) for lib in parties]
    for library, signer in staffed:
        if signer is None and not agreement.acceptances.filter(library=library).exists():
            AgreementAcceptance.objects.create(agreement=agreement, library=library, accepted_by=None)
            services.agreement_event(
                agreement=agreement,
                kind="accepted",
                actor=admin,
                library=library,
                note="Signed on paper at the founding meeting; recorded by the consortium admin.",
            )
    for library, signer in staffed:
        if signer is not None:
            agreement = services.agreement_accept(actor=signer, agreement=agreement, library=library)


@transaction.atomic
def seed() -> dict[str, int]:
    """Founding policies, the consortium-wide agreement and two bilateral ones."""
    created = {"policies": 0, "agreements": 0}
    admin = User.objects.filter(role=Role.CONSORTIUM_ADMIN).order_by("pk").first()
    if admin is None:
        return created
    versions = []
    for slug, title, category, body in POLICIES:
        policy = Policy.objects.filter(slug=slug).first()
        if policy is None:
            policy = services.policy_create(
                actor=admin, title=title, slug=slug, category=category, body_markdown=body
            )
            draft = policy.versions.get()
            services.policy_version_publish(
                actor=admin, version=draft, effective_from=POLICIES_EFFECTIVE, revision=draft.revision
            )
            created["policies"] += 1
        version = services.current_version(policy)
        if version is not None:
            versions.append(version)

    if not Agreement.objects.filter(name=CONSORTIUM_WIDE).exists():
        agreement = services.agreement_create(
            actor=admin,
            name=CONSORTIUM_WIDE,
            kind=AgreementKind.CONSORTIUM_WIDE,
            valid_from=POLICIES_EFFECTIVE,
            policy_versions=versions,
            services_allowed=["loan", "copy"],
            excluded_formats=PROTECTED,
            loan_period_days=14,
            renewals_allowed=1,
            response_deadline_days=3,
            max_open_loans=10,
            fee_pkr=0,
            shipping_paid_by="borrower",
            walk_in_borrowing=False,
        )
        agreement = services.agreement_propose(actor=admin, agreement=agreement)
        _sign_all(agreement, admin)
        created["agreements"] += 1

    ill_policy = [v for v in versions if v.policy.slug == "interlibrary-loan"]
    for name, codes, start, end, terms in BILATERALS:
        if Agreement.objects.filter(name=name).exists():
            continue
        parties = list(Library.objects.filter(code__in=codes, is_active=True))
        if len(parties) != 2:
            continue
        agreement = services.agreement_create(
            actor=admin,
            name=name,
            kind=AgreementKind.BILATERAL,
            valid_from=start,
            valid_until=end,
            parties=parties,
            policy_versions=ill_policy,
            **terms,
        )
        agreement = services.agreement_propose(actor=admin, agreement=agreement)
        _sign_all(agreement, admin)
        created["agreements"] += 1
    return created
