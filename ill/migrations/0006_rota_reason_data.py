"""Rota reasons as data: RotaEntry.reason_data, filled for existing entries from their English
reason text where it reads as routing wrote it (ill.rota_reasons); an entry whose text does
not parse keeps it, and pages show that text as stored."""

import re

from django.db import migrations, models

KINDS = {"Consortium-wide": "consortium", "Multilateral": "multilateral", "Bilateral": "bilateral"}
# policies.terms.EXPLANATIONS as routing wrote them in English (services as their codes then)
AGREEMENT = re.compile(
    r"^(?P<kind>Consortium-wide|Multilateral|Bilateral) agreement “(?P<name>.*)” "
    r"(?:(?P<allows>allows|does not allow) (?P<service>loans?|copy|copies)|excludes (?P<formats>.+))$"
)
PLAIN = {
    "a library does not borrow from itself": "same_library",
    "the borrowing library is not an active member": "borrower_inactive",
    "the lending library is not an active member": "lender_inactive",
    "the lending library has paused lending": "lender_paused",
    "no agreement in force covers these two libraries": "no_agreement",
}
RANKED = re.compile(
    # (the wording routing wrote then, and the one it writes since the supplierInfo list)
    r"^(?P<named>(?:Named first by the requesting library \(ISO 18626 supplyingAgencyId\)"
    r"|Named by the requesting library, asked in its order \(ISO 18626 supplyingAgencyId, supplierInfo\)); )?"
    r"(?:(?P<over>over the agreed maximum of open loans)|within open-loan limit) \((?P<open>\d+)/(?P<limit>\d+|∞|None)\); "
    r"(?P<shelf>copy on the shelf|copies on loan now); "
    r"lent (?P<lent>\d+), borrowed (?P<borrowed>\d+) in the last year; "
    r"(?P<proximity>same city|same province|other province); "
    r"(?:filled (?P<filled>\d+) of (?P<asked>\d+) asked|no history \(counted at (?P<rate>\d+)%\))"
    r"(?:; answers in (?P<days>[\d.]+) days on average)?\. (?P<policy>.*)\.$",
    re.S,
)
SKIPPED = re.compile(r"^Not asked: (?P<policy>.*)\.$", re.S)
CHOSEN = re.compile(r"^Chosen by staff of the requesting library \(library (?P<library>[^)]*)\)\. (?P<policy>.*)\.$", re.S)


def policy_words(text: str) -> dict | None:
    """policies.terms words from an English explanation; None when it does not read as one."""
    text = text.strip()
    if text[:1].lower() + text[1:] in PLAIN:
        return {"reason": PLAIN[text[:1].lower() + text[1:]]}
    m = AGREEMENT.match(text)
    if not m:
        return None
    words = {"kind": KINDS[m["kind"]], "name": m["name"]}
    if m["formats"]:
        return {**words, "reason": "format_excluded", "formats": [f.strip() for f in m["formats"].split(",")]}
    reason = "allowed" if m["allows"] == "allows" else "service_not_allowed"
    return {**words, "reason": reason, "service": "loan" if m["service"].startswith("loan") else "copy"}


def reason_data(text: str) -> dict | None:
    """The reason_data of ill.rota_reasons for an English reason; None when it does not parse."""
    if m := SKIPPED.match(text):
        policy = policy_words(m["policy"])
        return {"code": "skipped", "policy": policy} if policy else None
    if m := CHOSEN.match(text):
        policy = policy_words(m["policy"])
        library = m["library"]
        library = int(library) if library.isdigit() else library
        return {"code": "chosen_by_staff", "library": library, "policy": policy} if policy else None
    m = RANKED.match(text)
    if not m:
        return None
    policy = policy_words(m["policy"])
    if policy is None:
        return None
    return {
        "code": "ranked",
        "named_first": bool(m["named"]),
        "open_loans": int(m["open"]),
        "limit": int(m["limit"]) if m["limit"].isdigit() else None,
        "over_limit": bool(m["over"]),
        "on_shelf": m["shelf"] == "copy on the shelf",
        "lent": int(m["lent"]),
        "borrowed": int(m["borrowed"]),
        "proximity": ["same city", "same province", "other province"].index(m["proximity"]),
        "asked": int(m["asked"] or 0),
        "filled": int(m["filled"] or 0),
        "default_rate": int(m["rate"]) / 100 if m["rate"] else 0.9,
        "answer_days": float(m["days"]) if m["days"] else None,
        "policy": policy,
    }


def forwards(apps, schema_editor):
    RotaEntry = apps.get_model("ill", "RotaEntry")
    batch = []
    for entry in RotaEntry.objects.filter(reason_data={}).only("pk", "reason").iterator(chunk_size=2000):
        data = reason_data(entry.reason)
        if data:
            entry.reason_data = data
            batch.append(entry)
        if len(batch) >= 2000:
            RotaEntry.objects.bulk_update(batch, ["reason_data"])
            batch = []
    if batch:
        RotaEntry.objects.bulk_update(batch, ["reason_data"])


class Migration(migrations.Migration):
    dependencies = [
        ("ill", "0005_iso18626_delivery"),
    ]

    operations = [
        migrations.AddField(
            model_name="rotaentry",
            name="reason_data",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
