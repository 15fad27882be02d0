"""Demo consortium: real Pakistani university libraries and an account for every role."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from members.models import Library, PatronStatus, Role, User

DEMO_PASSWORD = "ishtiraak-demo"  # noqa: S105 - printed demo login, embedded mode only

# The demo libraries' cities as Urdu readers write them (Library.city_ur).
CITIES_UR = {
    "Gilgit": "گلگت",
    "Islamabad": "اسلام آباد",
    "Jamshoro": "جامشورو",
    "Karachi": "کراچی",
    "Lahore": "لاہور",
    "Multan": "ملتان",
    "Muzaffarabad": "مظفر آباد",
    "Peshawar": "پشاور",
    "Quetta": "کوئٹہ",
}

# (code, name, Urdu name, kind, city, province, website, joined)
LIBRARIES = [
    (
        "PK-LUMS",
        "Lahore University of Management Sciences",
        "لاہور یونیورسٹی آف مینجمنٹ سائنسز",
        "university",
        "Lahore",
        "PB",
        "https://lums.edu.pk",
        date(2024, 1, 15),
    ),
    (
        "PK-PU",
        "University of the Punjab",
        "جامعہ پنجاب",
        "university",
        "Lahore",
        "PB",
        "https://pu.edu.pk",
        date(2024, 1, 15),
    ),
    (
        "PK-GCU",
        "Government College University Lahore",
        "گورنمنٹ کالج یونیورسٹی لاہور",
        "university",
        "Lahore",
        "PB",
        "https://gcu.edu.pk",
        date(2024, 3, 1),
    ),
    (
        "PK-BZU",
        "Bahauddin Zakariya University",
        "بہاءالدین زکریا یونیورسٹی",
        "university",
        "Multan",
        "PB",
        "https://bzu.edu.pk",
        date(2024, 6, 1),
    ),
    (
        "PK-UOK",
        "University of Karachi",
        "جامعہ کراچی",
        "university",
        "Karachi",
        "SD",
        "https://uok.edu.pk",
        date(2024, 1, 15),
    ),
    (
        "PK-AKU",
        "Aga Khan University",
        "آغا خان یونیورسٹی",
        "university",
        "Karachi",
        "SD",
        "https://aku.edu",
        date(2024, 2, 1),
    ),
    (
        "PK-MUET",
        "Mehran University of Engineering and Technology",
        "مہران یونیورسٹی آف انجینئرنگ اینڈ ٹیکنالوجی",
        "university",
        "Jamshoro",
        "SD",
        "https://muet.edu.pk",
        date(2024, 9, 1),
    ),
    (
        "PK-UOP",
        "University of Peshawar",
        "جامعہ پشاور",
        "university",
        "Peshawar",
        "KP",
        "https://uop.edu.pk",
        date(2024, 1, 15),
    ),
    (
        "PK-UOB",
        "University of Balochistan",
        "جامعہ بلوچستان",
        "university",
        "Quetta",
        "BA",
        "https://uob.edu.pk",
        date(2024, 4, 1),
    ),
    (
        "PK-QAU",
        "Quaid-i-Azam University",
        "قائداعظم یونیورسٹی",
        "university",
        "Islamabad",
        "IS",
        "https://qau.edu.pk",
        date(2024, 1, 15),
    ),
    (
        "PK-NUST",
        "National University of Sciences and Technology",
        "نیشنل یونیورسٹی آف سائنسز اینڈ ٹیکنالوجی",
        "university",
        "Islamabad",
        "IS",
        "https://nust.edu.pk",
        date(2024, 2, 1),
    ),
    (
        "PK-NLP",
        "National Library of Pakistan",
        "قومی کتب خانہ پاکستان",
        "national",
        "Islamabad",
        "IS",
        "https://nlp.gov.pk",
        date(2024, 1, 15),
    ),
    (
        "PK-KIU",
        "Karakoram International University",
        "قراقرم انٹرنیشنل یونیورسٹی",
        "university",
        "Gilgit",
        "GB",
        "https://kiu.edu.pk",
        date(2025, 1, 10),
    ),
    (
        "PK-UAJK",
        "University of Azad Jammu and Kashmir",
        "جامعہ آزاد جموں و کشمیر",
        "university",
        "Muzaffarabad",
        "AJK",
        "https://ajku.edu.pk",
        date(2025, 1, 10),
    ),
]

# Libraries whose staff and patrons get demo accounts (the rest have none, as in life).
STAFFED = ["PK-LUMS", "PK-UOK", "PK-QAU", "PK-UOP", "PK-PU"]


def _slug(code: str) -> str:
    return code.removeprefix("PK-").lower()


def _account(username: str, **fields: object) -> tuple[User, bool]:
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = User(username=username, **fields)
    user.set_password(DEMO_PASSWORD)
    user.full_clean()
    user.save()
    return user, True


@transaction.atomic
def seed_members() -> dict[str, int]:
    """Create the demo libraries and accounts; running it again changes nothing."""
    created = {"libraries": 0, "accounts": 0}
    for code, name, name_ur, kind, city, province, website, joined in LIBRARIES:
        lib, new = Library.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_ur": name_ur,
                "kind": kind,
                "city": city,
                "city_ur": CITIES_UR.get(city, ""),
                "province": province,
                "website": website,
                "joined_on": joined,
                "email": f"library@{website.split('//')[1]}",
            },
        )
        created["libraries"] += new
        if not new and not lib.city_ur and city in CITIES_UR:  # a demo seeded before cities had Urdu names
            lib.city_ur = CITIES_UR[city]
            lib.save(update_fields=["city_ur"])
    _admin, new = _account(
        "admin",
        email="admin@ishtiraak.pk",
        first_name="Consortium",
        last_name="Admin",
        role=Role.CONSORTIUM_ADMIN,
        is_staff=True,
        is_superuser=True,
    )
    created["accounts"] += new
    for code in STAFFED:
        library = Library.objects.get(code=code)
        slug = _slug(code)
        domain = library.website.split("//")[1]
        for username, role, first in [
            (f"{slug}-admin", Role.LIBRARY_ADMIN, "Head Librarian"),
            (f"{slug}-librarian", Role.LIBRARIAN, "ILL Librarian"),
        ]:
            _user, new = _account(
                username,
                email=f"{username}@{domain}",
                first_name=first,
                last_name=library.code,
                role=role,
                library=library,
            )
            created["accounts"] += new
        _user, new = _account(
            f"{slug}-patron",
            email=f"{slug}-patron@student.{domain}",
            first_name="Ayesha" if slug != "uok" else "Bilal",
            last_name="Khan",
            role=Role.PATRON,
            library=library,
            card_number=f"{slug.upper()}-1001",
            patron_status=PatronStatus.APPROVED,
        )
        created["accounts"] += new
    _user, new = _account(
        "pending-patron",
        email="pending-patron@student.lums.edu.pk",
        first_name="Hamza",
        last_name="Ali",
        role=Role.PATRON,
        library=Library.objects.get(code="PK-LUMS"),
        card_number="LUMS-2002",
        patron_status=PatronStatus.PENDING,
    )
    created["accounts"] += new
    return created


def demo_logins() -> list[tuple[str, str]]:
    """(username, what it is) for the start-up banner."""
    rows = [("admin", "consortium admin")]
    for code in STAFFED:
        slug = _slug(code)
        rows += [
            (f"{slug}-admin", f"library admin, {code}"),
            (f"{slug}-librarian", f"librarian, {code}"),
            (f"{slug}-patron", f"patron, {code}"),
        ]
    return rows
