"""Malformed ISO 18626 input, as real bad XML: each gets the right ERROR Confirmation and
the database is unchanged (the request's state and its event count, and no new request)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ill.iso18626 import xml
from ill.models import IllEvent, IllMessage, IllRequest
from tests.ill import iso18626_messages as msgs

pytestmark = pytest.mark.skipif(
    not msgs.SAMPLES.exists(), reason=f"ISO 18626 samples not found at {msgs.SAMPLES}"
)

NS = xml.NS.encode()

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<requestingAgencyMessage xmlns="http://illtransactions.org/2013/iso18626">
  <header><supplyingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>PK-AWAY</agencyIdValue>
  </supplyingAgencyId><requestingAgencyId><agencyIdType>ISIL</agencyIdType>
  <agencyIdValue>PK-HOME</agencyIdValue></requestingAgencyId><multipleItemRequestId/>
  <timestamp>2025-03-01T10:00:00Z</timestamp><requestingAgencyRequestId>ILL-1</requestingAgencyRequestId>
  </header><action>Notification</action><note>&lol9;</note>
</requestingAgencyMessage>"""


def _with_doctype(body: bytes, doctype: bytes, note: bytes) -> bytes:
    """A valid message with a DOCTYPE inserted and its note replaced by an entity reference."""
    head, _, rest = body.partition(b"?>")
    start = rest.index(b"<note>")
    end = rest.index(b"</note>")
    return head + b"?>" + doctype + rest[:start] + b"<note>" + note + rest[end:]


@pytest.fixture
def keys(library, lender, library_token):
    return {"PK-HOME": library_token(library), "PK-AWAY": library_token(lender)}


def _notification(sent) -> bytes:
    return msgs.requesting(
        borrower="PK-HOME", supplier="PK-AWAY", request_id=sent.reference, action="Notification", note="Hello"
    ).bytes(wrapped=False)


def _supplying(sent, **kw) -> msgs.Sample:
    return msgs.supplying(lender="PK-AWAY", borrower="PK-HOME", request_id=sent.reference, **kw)


def _cases(sent):
    notification = _notification(sent)
    will_supply = _supplying(sent, status="WillSupply").bytes()
    missing = _supplying(sent, status="WillSupply").drop("header/requestingAgencyRequestId").bytes()
    no_status = _supplying(sent, status="WillSupply").drop("statusInfo/status").bytes()
    unknown = _supplying(sent, status="WillSupply").insert_after("statusInfo/status", "mood", "sunny").bytes()
    return {
        # name: (sender, body, confirmation kind, errorType, words the errorValue must contain)
        "truncated": (
            "PK-AWAY", will_supply[: len(will_supply) // 2], "supplyingAgencyMessageConfirmation",
            "BadlyFormedMessage", ["not well-formed XML"],
        ),
        "billion laughs": (
            "PK-HOME", BILLION_LAUGHS, "requestingAgencyMessageConfirmation", "BadlyFormedMessage",
            ["DOCTYPE lolz"],
        ),
        "external entity": (
            "PK-HOME",
            _with_doctype(notification, b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>', b"&x;"),
            "requestingAgencyMessageConfirmation", "BadlyFormedMessage", ["DOCTYPE r"],
        ),
        "external DTD": (
            "PK-HOME",
            _with_doctype(notification, b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd">', b"Hello"),
            "requestingAgencyMessageConfirmation", "BadlyFormedMessage", ["DOCTYPE r"],
        ),
        "wrong namespace": (
            "PK-AWAY", will_supply.replace(NS, b"http://illtransactions.org/2013/iso18626-not"),
            "supplyingAgencyMessageConfirmation", "BadlyFormedMessage",
            ["ISO18626Message", "iso18626-not", "namespace"],
        ),
        "missing required element": (
            "PK-AWAY", missing, "supplyingAgencyMessageConfirmation", "BadlyFormedMessage",
            ["/supplyingAgencyMessage/header", "requestingAgencyRequestId is missing"],
        ),
        "missing status": (
            "PK-AWAY", no_status, "supplyingAgencyMessageConfirmation", "BadlyFormedMessage",
            ["/supplyingAgencyMessage/statusInfo", "status is missing"],
        ),
        "unknown status value": (
            "PK-AWAY", will_supply.replace(b"<status>WillSupply<", b"<status>Bored<"),
            "supplyingAgencyMessageConfirmation", "UnrecognisedDataValue",
            ["/supplyingAgencyMessage/statusInfo/status", "'Bored'"],
        ),
        "unknown element": (
            "PK-AWAY", unknown, "supplyingAgencyMessageConfirmation", "UnrecognisedDataElement",
            ["/supplyingAgencyMessage/statusInfo/mood"],
        ),
        "bad date": (
            "PK-AWAY", will_supply.replace(b"2025-03-01T10:00:00+05:00", b"yesterday"),
            "supplyingAgencyMessageConfirmation", "UnrecognisedDataValue",
            ["/supplyingAgencyMessage/statusInfo/lastChange", "yesterday"],
        ),
        "a confirmation is not a message": (
            "PK-AWAY", (msgs.SAMPLES / "requestConfirmation.xml").read_bytes(), "requestConfirmation",
            "BadlyFormedMessage", ["/requestConfirmation"],
        ),
        "empty": ("PK-AWAY", b"", "requestConfirmation", "BadlyFormedMessage", ["empty"]),
    }  # fmt: skip


CASES = [
    "truncated", "billion laughs", "external entity", "external DTD", "wrong namespace",
    "missing required element", "missing status", "unknown status value", "unknown element", "bad date",
    "a confirmation is not a message", "empty",
]  # fmt: skip


def _state(sent):
    sent.refresh_from_db()
    return (
        sent.status, sent.supplier_status, IllEvent.objects.filter(request=sent).count(),
        IllRequest.objects.count(), IllMessage.objects.count(),
    )  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_bad_xml_gets_an_error_confirmation_and_writes_nothing(case, sent, keys, iso_post):
    sender, body, kind, error_type, words = _cases(sent)[case]
    before = _state(sent)
    response = iso_post(body, keys[sender])
    conf = msgs.confirmation(response.content)  # itself valid against the XSD
    assert response.status_code == 200
    assert (conf["kind"], conf["messageStatus"], conf["errorType"]) == (kind, "ERROR", error_type)
    for word in words:
        assert word in conf["errorValue"], conf["errorValue"]
    assert "root:" not in response.content.decode()  # /etc/passwd was never read
    assert _state(sent) == before


def test_a_message_over_the_size_limit_is_413(sent, keys, iso_post):
    body = _notification(sent).replace(b"Hello", b"x" * (1024 * 1024 + 1))
    response = iso_post(body, keys["PK-HOME"])
    conf = msgs.confirmation(response.content)
    assert response.status_code == 413 and conf["errorType"] == "BadlyFormedMessage"


def test_the_samples_all_parse_and_timestamps_without_colon_are_read():
    for name in ("request", "supplyingAgencyMessage", "requestingAgencyMessage"):
        message = xml.parse((msgs.SAMPLES / f"{name}.xml").read_bytes())
        assert message.kind == name
        assert message.text("header/timestamp") == "1900-01-01T01:01:01+00:00"


def test_unqualified_version_and_scheme_attributes_are_accepted():
    sample = (msgs.SAMPLES / "requestingAgencyMessage.xml").read_bytes().partition(b"?>")[2]
    assert b'p4:scheme="http://uri1"' in sample
    body = (
        b'<ISO18626Message xmlns="http://illtransactions.org/2013/iso18626" version="1.2">'
        + sample.replace(b"p4:scheme=", b"scheme=")
        + b"</ISO18626Message>"
    )
    message = xml.parse(body)
    assert message.kind == "requestingAgencyMessage"
    assert message.find("header/supplyingAgencyId/agencyIdType").get(xml.q("scheme")) == "http://uri1"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_any_bytes_give_a_valid_answer_never_a_crash(data):
    from django.utils import timezone

    from ill.exceptions import Iso18626Error
    from ill.iso18626 import build

    try:
        message = xml.parse(data)
    except Iso18626Error as exc:
        body = build.confirmation(
            kind=xml.sniff_kind(data), message=None, received_at=timezone.now(),
            error_type=exc.error_type, error_value=exc.error_value,
        )  # fmt: skip
        assert msgs.confirmation(body)["messageStatus"] == "ERROR"
    else:
        assert message.kind in xml.INBOUND
