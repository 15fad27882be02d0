"""Writing ISO 18626 v1.2 messages: confirmations, and the messages the portal sends.

Every message is wrapped in ``ISO18626Message`` with ``ill:version="1.2"`` (qualified, as
the schema's ``attributeFormDefault`` asks) and elements in the order the XSD's
sequences give; the tests validate each kind against the XSD.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from django.utils import timezone
from lxml import etree

from ill.iso18626.xml import CONFIRMATION_OF, NS, VERSION, WRAPPER, Message, q

NSMAP = {None: NS, "ill": NS}


def timestamp(moment: datetime | None = None) -> str:
    """xs:dateTime with an explicit offset (UTC), as ISO 18626 timestamps are."""
    return (moment or timezone.now()).astimezone(UTC).isoformat(timespec="seconds")


def end_of_day(day: date) -> str:
    """A date as the xs:dateTime ISO 18626 uses for dueDate: 23:59:59 Pakistan time."""
    moment = datetime.combine(day, time(23, 59, 59), tzinfo=timezone.get_default_timezone())
    return moment.isoformat(timespec="seconds")


def sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, q(name))
    if text is not None:
        el.text = text
    return el


def agency(parent: etree._Element, name: str, code: str) -> etree._Element:
    """supplyingAgencyId / requestingAgencyId as ISIL."""
    el = sub(parent, name)
    sub(el, "agencyIdType", "ISIL")
    sub(el, "agencyIdValue", code)
    return el


def envelope() -> etree._Element:
    root = etree.Element(q(WRAPPER), nsmap=NSMAP)
    root.set(q("version"), VERSION)
    return root


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def confirmation(
    *,
    kind: str,
    message: Message | None,
    received_at: datetime,
    error_type: str = "",
    error_value: str = "",
) -> bytes:
    """The Confirmation of one inbound message: echoes its agencies, timestamp and ids.

    ``timestamp`` echoes the confirmed message's own timestamp and ``timestampReceived``
    says when the portal received it; when the message could not be read, both are the
    time of receipt and only what could be read is echoed.
    """
    root = envelope()
    body = sub(root, CONFIRMATION_OF[kind])
    head = sub(body, "confirmationHeader")
    header = message.header if message is not None else None
    if header is not None:
        for name in ("supplyingAgencyId", "requestingAgencyId"):
            found = header.find(q(name))
            if found is not None:
                head.append(_clean_copy(found))
    sent = header.findtext(q("timestamp")) if header is not None else None
    sub(head, "timestamp", (sent or "").strip() or timestamp(received_at))
    if header is not None:
        for name in ("requestingAgencyRequestId", "multipleItemRequestId"):
            value = header.findtext(q(name))
            if value is not None:
                sub(head, name, value)
    sub(head, "timestampReceived", timestamp(received_at))
    sub(head, "messageStatus", "ERROR" if error_type else "OK")
    if message is not None and kind == "supplyingAgencyMessage":
        reason = message.text("messageInfo/reasonForMessage")
        if reason:
            sub(body, "reasonForMessage", reason)
    if message is not None and kind == "requestingAgencyMessage":
        action = message.text("action")
        if action:
            sub(body, "action", action)
    if error_type:
        data = sub(body, "errorData")
        sub(data, "errorType", error_type)
        sub(data, "errorValue", error_value)
    return serialize(root)


def _clean_copy(element: etree._Element) -> etree._Element:
    """A copy of an incoming element without its tail whitespace."""
    out = copy.deepcopy(element)
    out.tail = None
    return out


@dataclass
class Header:
    """What every message the portal sends carries in its header."""

    supplier_code: str
    borrower_code: str
    requesting_agency_request_id: str
    supplying_agency_request_id: str = ""
    moment: datetime | None = None

    def write(self, parent: etree._Element) -> None:
        head = sub(parent, "header")
        agency(head, "supplyingAgencyId", self.supplier_code)
        agency(head, "requestingAgencyId", self.borrower_code)
        sub(head, "multipleItemRequestId", "")
        sub(head, "timestamp", timestamp(self.moment))
        sub(head, "requestingAgencyRequestId", self.requesting_agency_request_id)
        if self.supplying_agency_request_id:
            sub(head, "supplyingAgencyRequestId", self.supplying_agency_request_id)


@dataclass
class Citation:
    """The bibliographic part of a request sent to a lender (never the patron)."""

    title: str
    author: str = ""
    publisher: str = ""
    year: str = ""
    isbn: str = ""
    article_title: str = ""
    pages: str = ""
    service_type: str = "Loan"
    service_level: str = "Normal"
    need_before: date | None = None
    record_id: str = ""
    request_type: str = "New"  # Retry: asked again after offering a retry


def request_message(*, header: Header, citation: Citation) -> bytes:
    """An ISO 18626 request to a lender's system."""
    root = envelope()
    body = sub(root, "request")
    header.write(body)
    bib = sub(body, "bibliographicInfo")
    if citation.record_id:
        sub(bib, "supplierUniqueRecordId", citation.record_id)
    sub(bib, "title", citation.title)
    if citation.author:
        sub(bib, "author", citation.author)
    if citation.article_title:
        sub(bib, "titleOfComponent", citation.article_title)
    if citation.pages:
        sub(bib, "pagesRequested", citation.pages)
    if citation.isbn:
        item = sub(bib, "bibliographicItemId")
        sub(item, "bibliographicItemIdentifier", citation.isbn)
        sub(item, "bibliographicItemIdentifierCode", "ISSN" if "-" in citation.isbn else "ISBN")
    if citation.publisher or citation.year:
        pub = sub(body, "publicationInfo")
        if citation.publisher:
            sub(pub, "publisher", citation.publisher)
        if citation.year:
            sub(pub, "publicationDate", citation.year)
    service = sub(body, "serviceInfo")
    sub(service, "requestType", citation.request_type)
    sub(service, "serviceType", citation.service_type)
    sub(service, "serviceLevel", citation.service_level)
    if citation.need_before:
        sub(service, "needBeforeDate", end_of_day(citation.need_before))
    return serialize(root)


@dataclass
class SupplierStatus:
    reason: str
    status: str
    answer: str = ""
    note: str = ""
    reason_unfilled: str = ""
    due_date: date | None = None
    loan_condition: str = ""
    last_change: datetime | None = None
    extra: dict = field(default_factory=dict)


def supplying_agency_message(*, header: Header, info: SupplierStatus) -> bytes:
    """A supplyingAgencyMessage to a borrowing library's system."""
    root = envelope()
    body = sub(root, "supplyingAgencyMessage")
    header.write(body)
    message_info = sub(body, "messageInfo")
    sub(message_info, "reasonForMessage", info.reason)
    if info.answer:
        sub(message_info, "answerYesNo", info.answer)
    if info.note:
        sub(message_info, "note", info.note)
    if info.reason_unfilled:
        sub(message_info, "reasonUnfilled", info.reason_unfilled)
    status = sub(body, "statusInfo")
    sub(status, "status", info.status)
    if info.due_date:
        sub(status, "dueDate", end_of_day(info.due_date))
    sub(status, "lastChange", timestamp(info.last_change))
    if info.loan_condition:
        delivery = sub(body, "deliveryInfo")
        sub(delivery, "dateSent", timestamp(info.last_change))
        sub(delivery, "loanCondition", info.loan_condition)
    return serialize(root)


def requesting_agency_message(*, header: Header, action: str, note: str = "") -> bytes:
    """A requestingAgencyMessage to a lender's system."""
    root = envelope()
    body = sub(root, "requestingAgencyMessage")
    header.write(body)
    sub(body, "action", action)
    if note:
        sub(body, "note", note)
    return serialize(root)
