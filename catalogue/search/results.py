"""Hits and facet values as pages and the API show them, built from what a backend found
(a record's fields and its holding libraries; counts keyed by value), the same for every
backend."""

from __future__ import annotations

from django.utils.translation import gettext

from catalogue.languages import language_label
from catalogue.models import Format
from catalogue.search.types import FACETS, PROVINCE_BY_NUMBER, FacetValue, Hit, HoldingLibrary, SearchFilters
from members.models import Province, library_name_in


def counts_by_code(
    raw: dict[str, dict[str, int]], library_info: dict[int, dict]
) -> dict[str, dict[str, int]]:
    """Library and province counts keyed by their codes instead of their numbers."""
    counts = dict(raw)
    counts["library"] = {
        library_info[int(key)]["code"]: n for key, n in raw["library"].items() if int(key) in library_info
    }
    counts["province"] = {
        PROVINCE_BY_NUMBER[int(key)]: n
        for key, n in raw["province"].items()
        if int(key) in PROVINCE_BY_NUMBER
    }
    return counts


def hit(data: dict, library_info: dict[int, dict]) -> Hit:
    libraries = [
        HoldingLibrary(
            code=info["code"],
            name=info["name"],
            name_ur=info.get("name_ur") or "",
            city=info["city"],
            city_ur=info.get("city_ur") or "",
            province=str(Province(info["province"]).label),
        )
        for lib_id in data["library_ids"] or []
        if (info := library_info.get(lib_id))
    ]
    return Hit(
        id=data["id"],
        title=data["title"],
        title_vernacular=data["title_vernacular"] or "",
        subtitle=data["subtitle"] or "",
        authors=data["authors"] or [],
        year=data["year"],
        edition=data["edition"] or "",
        publisher=data["publisher"] or "",
        format=data["format"],
        format_label=str(Format(data["format"]).label) if data["format"] in Format.values else data["format"],
        language=data["language"] or "",
        isbns=data["isbns"] or [],
        libraries=sorted(libraries, key=lambda lib: lib.name),
        rank=float(data["rank"] or 0),
    )


def decade_label(value: str) -> str:
    return gettext("Before 1900") if value == "pre1900" else gettext("%(decade)ss") % {"decade": value}


def facet_values(
    counts: dict[str, dict[str, int]], filters: SearchFilters, library_info: dict[int, dict]
) -> dict[str, list[FacetValue]]:
    names = {
        info["code"]: library_name_in(info["name"], info.get("name_ur") or "")
        for info in library_info.values()
    }
    labels = {
        "library": lambda v: names.get(v, v),
        "province": lambda v: str(Province(v).label) if v in Province.values else v,
        "format": lambda v: str(Format(v).label) if v in Format.values else v,
        "language": language_label,
        "decade": decade_label,
        "subject": lambda v: v,
    }
    out: dict[str, list[FacetValue]] = {}
    for name in FACETS:
        selected = set(getattr(filters, name))
        values = {v: n for v, n in counts[name].items() if n > 0 and v != ""}
        for value in selected:
            values.setdefault(value, 0)
        items = [FacetValue(v, labels[name](v), n, v in selected) for v, n in values.items()]
        if name == "decade":
            items.sort(key=lambda f: "0" if f.value == "pre1900" else f.value, reverse=True)
        else:
            items.sort(key=lambda f: (not f.selected, -f.count, f.label))
        out[name] = items
    return out
