"""ISO 18626 messages for tests, made from the standard's sample messages in
shared/data/iso18626 (from ReShare's mod-rs): parsed, given the test libraries' ISIL
codes and ids, stripped of the optional parts a test does not want, and serialized."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.conf import settings
from lxml import etree

from ill.iso18626.xml import NS, q, schema_facts

SAMPLES = Path(settings.BASE_DIR).parent / "shared" / "data" / "iso18626"


def _path(path: str) -> str:
    return "/".join(q(p) for p in path.split("/"))


class Sample:
    """One sample message, edited in place."""

    def __init__(self, name: str) -> None:
        self.root = etree.parse(
            str(SAMPLES / f"{name}.xml"), etree.XMLParser(resolve_entities=False)
        ).getroot()

    def find(self, path: str) -> etree._Element:
        found = self.root.find(_path(path))
        assert found is not None, path
        return found

    def set(self, path: str, value: str) -> Sample:
        """Set an element's text, creating the last step of the path if it is missing."""
        found = self.root.find(_path(path))
        if found is None:
            parent_path, _, name = path.rpartition("/")
            parent = self.find(parent_path) if parent_path else self.root
            found = etree.SubElement(parent, q(name))
        found.text = value
        return self

    def insert_after(self, path: str, name: str, value: str) -> Sample:
        """A new element right after an existing one (the schema's sequences are ordered)."""
        anchor = self.find(path)
        el = etree.Element(q(name))
        el.text = value
        anchor.addnext(el)
        return self

    def drop(self, *paths: str) -> Sample:
        for path in paths:
            for found in self.root.findall(_path(path)):
                found.getparent().remove(found)
        return self

    def agencies(self, *, supplier: str, borrower: str, request_id: str) -> Sample:
        self.set("header/supplyingAgencyId/agencyIdType", "ISIL")
        self.set("header/supplyingAgencyId/agencyIdValue", supplier)
        self.set("header/requestingAgencyId/agencyIdType", "ISIL")
        self.set("header/requestingAgencyId/agencyIdValue", borrower)
        self.set("header/timestamp", "2025-03-01T10:00:00+0500")
        self.set("header/requestingAgencyRequestId", request_id)
        return self

    def bytes(self, *, wrapped: bool = True) -> bytes:
        if not wrapped:
            return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8")
        wrapper = etree.Element(q("ISO18626Message"), nsmap={None: NS, "ill": NS})
        wrapper.set(q("version"), "1.2")
        wrapper.append(self.root)
        return etree.tostring(wrapper, xml_declaration=True, encoding="UTF-8")


def request(
    *,
    borrower: str,
    request_id: str,
    supplier: str = "PK-ISHTIRAAK",
    isbn: str | None = None,
    title: str = "Tarikh-e-Pakistan",
    service: str = "Loan",
    level: str = "Normal",
    need_before: date | None = None,
    request_type: str = "New",
    note: str | None = None,
    suppliers: tuple[tuple[str, str, str], ...] = (),
) -> Sample:
    """The sample request, for a loan of one book; the patron stays in (patronInfo)."""
    msg = Sample("request").agencies(supplier=supplier, borrower=borrower, request_id=request_id)
    msg.set("serviceInfo/requestType", request_type)
    if note is not None:
        msg.set("serviceInfo/note", note)
    msg.drop(
        "bibliographicInfo/bibliographicItemId", "bibliographicInfo/bibliographicRecordId", "supplierInfo"
    )
    msg.drop("bibliographicInfo/subtitle", "serviceInfo/startDate", "serviceInfo/endDate")
    msg.set("bibliographicInfo/title", title)
    msg.set("serviceInfo/serviceType", service)
    msg.set("serviceInfo/serviceLevel", level)
    msg.drop("serviceInfo/requestSubType")
    if need_before is None:
        msg.drop("serviceInfo/needBeforeDate")
    else:
        msg.set("serviceInfo/needBeforeDate", f"{need_before.isoformat()}T23:59:59+05:00")
    for order, id_type, code in reversed(suppliers):  # (sortOrder, agencyIdType, agencyIdValue)
        info = etree.Element(q("supplierInfo"))
        etree.SubElement(info, q("sortOrder")).text = order
        supplier_code = etree.SubElement(info, q("supplierCode"))
        etree.SubElement(supplier_code, q("agencyIdType")).text = id_type
        etree.SubElement(supplier_code, q("agencyIdValue")).text = code
        msg.find("serviceInfo").addnext(info)
    if isbn:
        item = etree.Element(q("bibliographicItemId"))
        etree.SubElement(item, q("bibliographicItemIdentifier")).text = isbn
        etree.SubElement(item, q("bibliographicItemIdentifierCode")).text = "ISBN"
        msg.find("bibliographicInfo/estimatedNoPages").addnext(item)
    return msg


def supplying(
    *,
    lender: str,
    borrower: str,
    request_id: str,
    status: str,
    reason: str = "RequestResponse",
    answer: str | None = None,
    reason_unfilled: str | None = None,
    reason_retry: str | None = None,
    due: date | None = None,
    note: str | None = None,
    condition: str | None = None,
) -> Sample:
    """The sample supplyingAgencyMessage saying one status."""
    msg = Sample("supplyingAgencyMessage").agencies(supplier=lender, borrower=borrower, request_id=request_id)
    msg.drop(
        "messageInfo/answerYesNo", "messageInfo/note", "messageInfo/reasonUnfilled", "messageInfo/reasonRetry",
        "messageInfo/offeredCosts", "messageInfo/retryAfter", "messageInfo/retryBefore",
        "statusInfo/expectedDeliveryDate", "statusInfo/dueDate", "returnInfo",
    )  # fmt: skip
    msg.set("messageInfo/reasonForMessage", reason)
    if reason_unfilled:
        msg.insert_after("messageInfo/reasonForMessage", "reasonUnfilled", reason_unfilled)
    if reason_retry:
        msg.insert_after("messageInfo/reasonForMessage", "reasonRetry", reason_retry)
    if note:
        msg.insert_after("messageInfo/reasonForMessage", "note", note)
    if answer:
        msg.insert_after("messageInfo/reasonForMessage", "answerYesNo", answer)
    msg.set("statusInfo/status", status)
    msg.set("statusInfo/lastChange", "2025-03-01T10:00:00+05:00")
    if due:
        msg.insert_after("statusInfo/status", "dueDate", f"{due.isoformat()}T23:59:59+05:00")
    if condition:
        msg.set("deliveryInfo/loanCondition", condition)
    else:
        msg.drop("deliveryInfo")
    return msg


def requesting(
    *, borrower: str, supplier: str, request_id: str, action: str, note: str | None = None
) -> Sample:
    """The sample requestingAgencyMessage with one action."""
    msg = Sample("requestingAgencyMessage").agencies(
        supplier=supplier, borrower=borrower, request_id=request_id
    )
    msg.set("action", action)
    if note:
        msg.set("note", note)
    else:
        msg.drop("note")
    return msg


def confirmation(body: bytes) -> dict[str, str]:
    """The fields of a Confirmation the tests look at, after checking it against the XSD."""
    root = etree.fromstring(body)
    assert schema_facts().schema.validate(root), schema_facts().schema.error_log
    assert root.tag == q("ISO18626Message")
    conf = root[0]
    out = {"kind": etree.QName(conf).localname}
    for el in conf.iter():
        if isinstance(el.tag, str) and len(el) == 0:
            out.setdefault(etree.QName(el).localname, el.text or "")
    return out
