"""Outbound ISO 18626: libraries that recorded their system's endpoint are sent the messages
their requests owe them, after commit, by the Celery task; the peer is a real HTTP server
on 127.0.0.1 (the only network there is), and its Confirmation is kept."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ill import states
from ill.iso18626 import outbound
from ill.models import IllRequest, Iso18626Delivery
from ill.routing import route
from ill.services import ill_request_create
from ill.tasks import iso18626_deliver_task
from members.models import Library
from tests.ill import iso18626_messages as msgs

pytestmark = pytest.mark.skipif(
    not msgs.SAMPLES.exists(), reason=f"ISO 18626 samples not found at {msgs.SAMPLES}"
)


def _endpoint(library, url):
    Library.objects.filter(pk=library.pk).update(iso18626_url=url)


def _secrets(patron):
    return [
        patron.last_name,
        patron.card_number,
        patron.email,
        "P-SECRET-42",
        "Siddiqui-Secret",
        "Confidential",
    ]


def test_lender_system_gets_the_request_without_the_patron(
    patron, record, librarian, lender, peer, act, django_capture_on_commit_callbacks
):
    # given a lender whose own system takes ISO 18626 at the peer's URL
    _endpoint(lender, peer.url)
    req = ill_request_create(actor=patron, bib_record_id=record.pk, note="Confidential: for my thesis")
    # when the request is validated and routed to it
    with django_capture_on_commit_callbacks(execute=True):
        act(req, "validate", librarian)
        route(request_id=req.pk)
    # then its system got an ISO 18626 request, and confirmed it
    assert [m.kind for m in peer.received] == ["request"]
    sent = peer.received[0]
    assert sent.text("header/requestingAgencyId/agencyIdValue") == "PK-HOME"
    assert sent.text("header/supplyingAgencyId/agencyIdValue") == "PK-AWAY"
    assert sent.text("header/requestingAgencyRequestId") == req.reference
    assert sent.text("bibliographicInfo/title") == record.title
    local_id = record.sources.get(library=lender).local_id
    assert sent.text("bibliographicInfo/supplierUniqueRecordId") == local_id  # its own catalogue's id
    assert sent.find("patronInfo") is None
    text = peer.bodies[0].decode()
    for secret in _secrets(patron):
        assert secret not in text
    delivery = Iso18626Delivery.objects.get(request=req)
    assert (delivery.status, delivery.kind, delivery.attempts) == ("confirmed", "request", 1)
    assert "<messageStatus>OK</messageStatus>" in delivery.confirmation
    # the patron asks to cancel, in their own words: the lender's system hears Cancel, not the words
    with django_capture_on_commit_callbacks(execute=True):
        act(req, "request_cancel", patron, note="Confidential: I am moving to Quetta")
    assert peer.received[1].text("action") == "Cancel" and peer.received[1].find("note") is None
    assert b"Quetta" not in peer.bodies[1]


def test_iso_patron_info_never_reaches_the_lender(
    iso_record, library, lender, second_lender, library_token, iso_post, peer
):
    for lib in (lender, second_lender):
        _endpoint(lib, peer.url)
    body = msgs.request(borrower="PK-HOME", request_id="KOHA-P", isbn="9780198526636")
    body.set("patronInfo/patronId", "P-SECRET-42").set("patronInfo/surname", "Siddiqui-Secret")
    body.set("serviceInfo/note", "Confidential note")
    iso_post(body.bytes(), library_token(library))
    req = IllRequest.objects.get(requesting_agency_request_id="KOHA-P")
    assert req.patron_reference.startswith("P-SECRET-42")
    # the lender asked unfills, the next one is asked: neither hears of the patron
    iso_post(
        msgs.supplying(
            lender=req.supplier.code, borrower="PK-HOME", request_id="KOHA-P", status="Unfilled",
            reason_unfilled="NotHeld",
        ).bytes(),
        library_token(req.supplier),
    )  # fmt: skip
    assert [m.kind for m in peer.received] == ["request", "request"]
    for body in peer.bodies:
        assert b"P-SECRET-42" not in body and b"Siddiqui" not in body and b"Confidential" not in body
    assert peer.received[1].text("header/requestingAgencyRequestId") == "KOHA-P"
    # nor does the lender's view in the API; the borrowing library's does
    from rest_framework.test import APIClient

    req.refresh_from_db()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {library_token(req.supplier)}")
    assert "P-SECRET-42" not in client.get(f"/api/v1/ill/requests/{req.pk}/").content.decode()
    client.credentials(HTTP_AUTHORIZATION=f"Token {library_token(library)}")
    assert client.get(f"/api/v1/ill/requests/{req.pk}/").json()["patron_reference"].startswith("P-SECRET-42")


def test_borrower_system_hears_the_lenders_answers_but_not_its_own_messages(
    iso_record,
    library,
    lender_librarian,
    library_token,
    iso_post,
    peer,
    act,
    django_capture_on_commit_callbacks,
):
    _endpoint(library, peer.url)
    key = library_token(library)
    iso_post(msgs.request(borrower="PK-HOME", request_id="KOHA-B", isbn="9780198526636").bytes(), key)
    req = IllRequest.objects.get(requesting_agency_request_id="KOHA-B")
    assert peer.received == []  # its own request is not echoed back
    # the lender works in the web queue
    with django_capture_on_commit_callbacks(execute=True):
        act(req, "will_supply", lender_librarian)
        act(req, "ship", lender_librarian)
    said = [
        (m.text("messageInfo/reasonForMessage"), m.text("statusInfo/status"), m.text("statusInfo/dueDate"))
        for m in peer.received
    ]
    assert said == [
        ("RequestResponse", "WillSupply", ""),
        ("StatusChange", "Loaned", f"{req.due_date.isoformat()}T23:59:59+05:00"),
    ]
    assert all(m.text("header/requestingAgencyRequestId") == "KOHA-B" for m in peer.received)
    # the borrower's system says Received: nothing comes back to it
    iso_post(
        msgs.requesting(
            borrower="PK-HOME", supplier="PK-AWAY", request_id="KOHA-B", action="Received"
        ).bytes(),
        key,
    )
    assert len(peer.received) == 2


def test_status_request_is_answered_by_a_status_request_response(
    iso_record, library, library_token, iso_post, peer
):
    _endpoint(library, peer.url)
    key = library_token(library)
    iso_post(msgs.request(borrower="PK-HOME", request_id="KOHA-S", isbn="9780198526636").bytes(), key)
    body = msgs.requesting(
        borrower="PK-HOME", supplier="PK-AWAY", request_id="KOHA-S", action="StatusRequest"
    )
    conf = msgs.confirmation(iso_post(body.bytes(), key).content)
    assert conf["messageStatus"] == "OK"
    (answer,) = peer.received
    assert answer.kind == "supplyingAgencyMessage"
    assert answer.text("messageInfo/reasonForMessage") == "StatusRequestResponse"
    assert answer.text("statusInfo/status") == "RequestReceived"


def test_end_of_rota_is_the_borrowers_unfilled(agreement, library, lender, library_token, iso_post, peer):
    from tests.ill.factories import BibRecordFactory, held_by

    held_by(lender, record=BibRecordFactory(isbns=["9780198526636"]))  # one lender only
    _endpoint(library, peer.url)
    key = library_token(library)
    iso_post(msgs.request(borrower="PK-HOME", request_id="KOHA-E", isbn="9780198526636").bytes(), key)
    req = IllRequest.objects.get(requesting_agency_request_id="KOHA-E")
    assert req.supplier == lender
    lender_says = msgs.supplying(
        lender="PK-AWAY",
        borrower="PK-HOME",
        request_id="KOHA-E",
        status="Unfilled",
        reason_unfilled="NotOnShelf",
    )
    iso_post(lender_says.bytes(), library_token(lender))
    req.refresh_from_db()
    assert req.status == states.END_OF_ROTA
    (unfilled,) = peer.received  # the lender's own Unfilled is not passed on, the end of the rota is
    assert unfilled.text("statusInfo/status") == "Unfilled"
    assert unfilled.text("header/supplyingAgencyId/agencyIdValue") == "PK-ISHTIRAAK"


@pytest.fixture
def queued(sent, lender, peer, act, lender_librarian, library):
    """A delivery to the borrower's system, queued (not yet sent)."""
    _endpoint(library, peer.url)
    act(sent, "will_supply", lender_librarian)  # outside on-commit capture: the task is not run
    return Iso18626Delivery.objects.get(request=sent)


def test_an_error_confirmation_is_recorded_as_refused(queued, peer):
    peer.answer = "error"
    assert outbound.deliver(delivery_id=queued.pk) == "refused"
    queued.refresh_from_db()
    assert (queued.status, queued.error_type, queued.error_value) == (
        "refused",
        "UnrecognisedDataValue",
        "nope",
    )
    assert outbound.deliver(delivery_id=queued.pk) == "nothing to do"  # a duplicate run sends nothing
    assert len(peer.received) == 1


def test_a_peer_in_trouble_is_retried_then_given_up(queued, peer):
    peer.answer = "500"
    with pytest.raises(outbound.TransientDeliveryError):
        outbound.deliver(delivery_id=queued.pk)
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.last_error) == ("queued", 1, "HTTP 500")
    # the task's last retry records the failure for good
    result = iso18626_deliver_task.apply(kwargs={"delivery_id": queued.pk}, retries=8)
    assert result.get() == "failed"
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == ("failed", 2)
    assert outbound.delivery_retry_delay(0) == 30 and outbound.delivery_retry_delay(10) == 3600


def test_an_answer_that_is_no_confirmation_fails(queued, peer):
    peer.answer = "garbage"
    assert outbound.deliver(delivery_id=queued.pk) == "failed"
    queued.refresh_from_db()
    assert "not an ISO 18626 Confirmation" in queued.last_error


def test_an_unreachable_peer_is_transient(queued, peer):
    peer.stop()
    with pytest.raises(outbound.TransientDeliveryError):
        outbound.deliver(delivery_id=queued.pk)


def test_private_addresses_are_refused_outside_tests(queued, peer, settings):
    settings.ISO18626_ALLOW_PRIVATE_ENDPOINTS = False
    assert outbound.deliver(delivery_id=queued.pk) == "failed"
    queued.refresh_from_db()
    assert "127.0.0.1" in queued.last_error and "not a public address" in queued.last_error
    assert peer.received == []


# --- where the portal connects: the checked address only, no redirects ---------------


class Listener:
    """A local HTTP server that records every request (any method) and answers as told."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.requests: list[tuple[str, str, str]] = []  # (method, path, Host header)
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                listener.requests.append((self.command, self.path, self.headers.get("Host", "")))
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_HEAD = _any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/inside"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def inside():
    """A service inside the portal's network that no member's endpoint may reach."""
    listener = Listener()
    yield listener
    listener.stop()


def _point(delivery, url):
    Iso18626Delivery.objects.filter(pk=delivery.pk).update(url=url)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_the_delivery_says_why(queued, inside, status):
    # given a member endpoint that redirects to an address inside the portal's network
    # (the test settings allow 127.0.0.1 endpoints: redirects are refused even so)
    redirector = Listener(status=status, headers={"Location": inside.url})
    try:
        _point(queued, redirector.url)
        # when the message is delivered
        assert outbound.deliver(delivery_id=queued.pk) == "failed"
    finally:
        redirector.stop()
    # then the redirect target heard nothing, and the delivery row says why
    assert [method for method, _, _ in redirector.requests] == ["POST"]
    assert inside.requests == []
    queued.refresh_from_db()
    assert queued.status == "failed"
    assert f"HTTP {status}" in queued.last_error and inside.url in queued.last_error
    assert "redirects are not followed" in queued.last_error


def test_the_connection_goes_to_the_address_that_was_checked(queued, inside, resolver, settings):
    # given a name that answers a public address to the first lookup and 127.0.0.1 after
    # (DNS rebinding), and a service listening on 127.0.0.1 at the endpoint's port
    settings.ISO18626_ALLOW_PRIVATE_ENDPOINTS = False
    settings.ISO18626_TIMEOUT = 1  # the public address does not answer here: give up soon
    resolver.answer("ill.rebind.example", "196.200.10.10", "127.0.0.1")
    _point(queued, f"http://ill.rebind.example:{inside.port}/iso18626")
    # when the message is delivered (that address cannot be reached from the test machine)
    with pytest.raises(outbound.TransientDeliveryError):
        outbound.deliver(delivery_id=queued.pk)
    # then the name was looked up once, the connection went to the checked address only,
    # and nothing reached 127.0.0.1
    assert resolver.lookups == ["ill.rebind.example"]
    assert inside.requests == []
    queued.refresh_from_db()
    assert queued.status == "queued" and "196.200.10.10" in queued.last_error


def test_the_checked_address_is_asked_for_the_endpoints_host(queued, inside, resolver):
    # given a name that resolves to the (test-allowed) local peer
    resolver.answer("ill.peer.example", "127.0.0.1")
    _point(queued, f"http://ill.peer.example:{inside.port}/iso18626?x=1")
    outbound.deliver(delivery_id=queued.pk)
    # the peer sees its own name in Host (virtual hosts keep working) and the path and query
    assert inside.requests == [("POST", "/iso18626?x=1", f"ill.peer.example:{inside.port}")]


FORBIDDEN_ADDRESSES = [
    "127.0.0.1",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "0.0.0.0",  # noqa: S104 - an address refused, not bound
    "100.64.0.1",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fec0::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::127.0.0.1",
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2001:db8::1",
]


@pytest.mark.parametrize("address", FORBIDDEN_ADDRESSES)
def test_an_endpoint_resolving_to_an_inside_address_fails(queued, inside, resolver, settings, address):
    settings.ISO18626_ALLOW_PRIVATE_ENDPOINTS = False
    resolver.answer("ill.peer.example", address)
    _point(queued, f"http://ill.peer.example:{inside.port}/iso18626")
    assert outbound.deliver(delivery_id=queued.pk) == "failed"
    queued.refresh_from_db()
    assert address in queued.last_error and "not a public address" in queued.last_error
    assert inside.requests == []


@pytest.mark.parametrize("address", ["::ffff:127.0.0.1", "::ffff:10.0.0.1", "127.0.0.1"])
def test_an_endpoint_written_as_an_inside_address_fails(queued, inside, settings, address):
    settings.ISO18626_ALLOW_PRIVATE_ENDPOINTS = False
    host = f"[{address}]" if ":" in address else address
    _point(queued, f"http://{host}:{inside.port}/iso18626")
    assert outbound.deliver(delivery_id=queued.pk) == "failed"
    queued.refresh_from_db()
    assert "not a public address" in queued.last_error
    assert inside.requests == []


def test_one_inside_address_among_public_ones_fails(queued, inside, resolver, settings):
    settings.ISO18626_ALLOW_PRIVATE_ENDPOINTS = False
    resolver.answer("ill.peer.example", ["196.200.10.10", "10.0.0.1"])
    _point(queued, f"http://ill.peer.example:{inside.port}/iso18626")
    assert outbound.deliver(delivery_id=queued.pk) == "failed"
    queued.refresh_from_db()
    assert "10.0.0.1" in queued.last_error


def test_accepting_conditions_tells_the_lenders_system_in_reshares_words(
    patron, record, librarian, lender, lender_librarian, peer, act, django_capture_on_commit_callbacks
):
    # given a lender with its own system that set a condition on its loan
    _endpoint(lender, peer.url)
    req = _request_routed_to(lender, patron, record, librarian, act, django_capture_on_commit_callbacks)
    act(req, "will_supply_with_conditions", lender_librarian, condition="LibraryUseOnly")
    # when the borrowing library accepts it in the portal
    with django_capture_on_commit_callbacks(execute=True):
        act(req, "accept_conditions", librarian)
    # then the lender's system hears a Notification with ReShare's agreement marker
    agreed = peer.received[-1]
    assert (agreed.kind, agreed.text("action")) == ("requestingAgencyMessage", "Notification")
    assert agreed.text("note") == "#ReShareLoanConditionAgreeResponse#"


# ------------------------------------------------------------------ the peer's credential

CREDENTIAL = "Bearer k0ha-1ll-s3cret-2026"


def _store_credential(library, value, header="Authorization"):
    from members.services import library_iso18626_credential_set
    from tests.factories import LibraryAdminFactory

    return library_iso18626_credential_set(
        actor=LibraryAdminFactory(library=library), library=library, header=header, value=value
    )


def _request_routed_to(lender, patron, record, librarian, act, capture):
    req = ill_request_create(actor=patron, bib_record_id=record.pk)
    with capture(execute=True):
        act(req, "validate", librarian)
        route(request_id=req.pk)
    return req


def test_the_peers_credential_goes_in_its_header_and_nowhere_else(
    patron, record, librarian, lender, peer, act, django_capture_on_commit_callbacks, caplog
):
    # given a lender whose system wants a bearer token, stored by its library admin
    _endpoint(lender, peer.url)
    _store_credential(lender, CREDENTIAL)
    # when a request is routed to it (with every log record kept)
    caplog.set_level("DEBUG")
    req = _request_routed_to(lender, patron, record, librarian, act, django_capture_on_commit_callbacks)
    # then its system got the message with the token in the header it asked for
    assert peer.headers[0]["Authorization"] == CREDENTIAL
    assert Iso18626Delivery.objects.get(request=req).status == "confirmed"
    # and the token is nowhere at rest or in the log: not in the library's row, not with the delivery
    lender.refresh_from_db()
    assert CREDENTIAL not in lender.iso18626_auth_sealed and "k0ha" not in lender.iso18626_auth_sealed
    delivery = Iso18626Delivery.objects.filter(request=req).values()[0]
    assert not [v for v in delivery.values() if isinstance(v, str) and "k0ha" in v]
    assert "k0ha" not in caplog.text
    from members.models import MembershipEvent

    assert not MembershipEvent.objects.filter(note__contains="k0ha").exists()


def test_a_removed_credential_is_no_longer_sent(
    patron, record, librarian, lender, peer, act, django_capture_on_commit_callbacks
):
    _endpoint(lender, peer.url)
    _store_credential(lender, CREDENTIAL)
    _store_credential(lender, "")  # the library admin empties the field
    _request_routed_to(lender, patron, record, librarian, act, django_capture_on_commit_callbacks)
    assert "Authorization" not in peer.headers[0]


def test_a_credential_survives_a_secret_key_rotation_with_the_old_key_as_fallback(
    patron, record, librarian, lender, peer, act, django_capture_on_commit_callbacks, settings
):
    _endpoint(lender, peer.url)
    _store_credential(lender, CREDENTIAL, header="X-Api-Key")
    # when the operator rotates SECRET_KEY, keeping the old one as a fallback
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-portal"
    _request_routed_to(lender, patron, record, librarian, act, django_capture_on_commit_callbacks)
    assert peer.headers[0]["X-Api-Key"] == CREDENTIAL


def test_a_credential_no_key_opens_fails_the_delivery_saying_what_to_do(
    patron, record, librarian, lender, peer, act, django_capture_on_commit_callbacks, settings
):
    _endpoint(lender, peer.url)
    _store_credential(lender, CREDENTIAL)
    settings.SECRET_KEY = "a-new-secret-key-without-the-old-one"
    req = _request_routed_to(lender, patron, record, librarian, act, django_capture_on_commit_callbacks)
    delivery = Iso18626Delivery.objects.get(request=req)
    assert delivery.status == "failed" and not peer.received
    assert "its library admin must enter it again on My library" in delivery.last_error
