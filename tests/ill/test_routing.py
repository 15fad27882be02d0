"""Routing: who is in the rota and why, ranking, timers (frozen clock), idempotent tasks."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ill import states
from ill.models import IllRequest, RotaEntry
from ill.rota_reasons import end_of_rota_lines
from ill.routing import ask_next_lender, build_rota, rota_ensure, route
from ill.services import ill_request_create, ill_request_transition
from ill.tasks import check_deadlines_task, due_soon_reminders_task, mark_overdue_task, route_request_task
from members.models import OutboundEmail
from policies.models import AgreementKind
from tests.factories import LibraryFactory
from tests.ill.factories import held_by
from tests.policies.factories import AgreementFactory

PKT = ZoneInfo("Asia/Karachi")


def _validated(patron, record, librarian):
    req = ill_request_create(actor=patron, bib_record_id=record.pk)
    ill_request_transition(request_id=req.pk, action="validate", actor=librarian)
    return req


def test_rota_excludes_requester_paused_inactive_and_unallowed_with_reasons(
    patron, librarian, library, agreement
):
    near = LibraryFactory(code="PK-NEAR", city="Lahore", province="PB")
    far = LibraryFactory(code="PK-FAR", city="Quetta", province="BA")
    paused = LibraryFactory(code="PK-PAUSED", lending_paused=True, lending_paused_reason="Stock-taking")
    gone = LibraryFactory(code="PK-GONE", is_active=False)
    record = held_by(far, near, paused, gone)
    held_by(library, record=record, lendable=False)  # own non-lendable copy: not a candidate
    req = _validated(patron, record, librarian)
    route(request_id=req.pk)
    rota = list(RotaEntry.objects.filter(request=req).select_related("lender").order_by("position"))
    asked = [e.lender.code for e in rota if e.status != RotaEntry.Status.SKIPPED]
    skipped = {e.lender.code: e.reason for e in rota if e.status == RotaEntry.Status.SKIPPED}
    assert asked == ["PK-NEAR", "PK-FAR"]  # same city first
    assert "paused" in skipped["PK-PAUSED"] and "not an active member" in skipped["PK-GONE"]
    assert library.code not in asked
    assert "same city" in rota[0].reason and "Consortium ILL" in rota[0].reason
    req.refresh_from_db()
    assert req.supplier.code == "PK-NEAR" and req.status == states.SENT_TO_SUPPLIER


def test_rank_over_limit_then_load_balance(patron, librarian, library, agreement):
    busy = LibraryFactory(code="PK-BUSY", city="Lahore", province="PB")
    calm = LibraryFactory(code="PK-CALM", city="Karachi", province="SD")
    # a bilateral agreement caps PK-BUSY at 1 open loan to the borrower, and one is open
    AgreementFactory(name="Busy cap", kind=AgreementKind.BILATERAL, parties=[library, busy], max_open_loans=1)
    IllRequest.objects.create(
        borrower=library, supplier=busy, supplier_status="Loaned", status=states.CHECKED_OUT,
        title="x", due_date=datetime(2030, 1, 1, tzinfo=PKT).date(),
    )  # fmt: skip
    record = held_by(busy, calm)
    req = _validated(patron, record, librarian)
    entries = build_rota(IllRequest.objects.select_related("borrower").get(pk=req.pk))
    assert [e.lender.code for e in entries] == ["PK-CALM", "PK-BUSY"]
    assert "over the agreed maximum of open loans (1/1)" in entries[1].reason


def test_heavy_lender_goes_later(patron, librarian, library, agreement):
    heavy = LibraryFactory(code="PK-HEAVY", city="Lahore", province="PB")
    light = LibraryFactory(code="PK-LIGHT", city="Multan", province="PB")
    other = LibraryFactory(code="PK-OTHER")
    IllRequest.objects.bulk_create(
        [IllRequest(borrower=other, supplier=heavy, supplier_status="LoanCompleted", status="completed", title="t")
         for _ in range(25)]
    )  # fmt: skip
    record = held_by(heavy, light)
    req = _validated(patron, record, librarian)
    entries = build_rota(IllRequest.objects.select_related("borrower").get(pk=req.pk))
    assert [e.lender.code for e in entries] == ["PK-LIGHT", "PK-HEAVY"]
    assert "lent 25, borrowed 0" in entries[1].reason


def test_route_twice_asks_the_lender_once(patron, record, librarian):
    req = _validated(patron, record, librarian)
    route_request_task(request_id=req.pk)
    route_request_task(request_id=req.pk)
    assert RotaEntry.objects.filter(request=req, status=RotaEntry.Status.ASKED).count() == 1
    assert IllRequest.objects.get(pk=req.pk).events.filter(action="send_to_supplier").count() == 1


def test_worker_killed_mid_routing_neither_skips_nor_double_asks(patron, record, librarian, monkeypatch):
    # given the worker dies while asking the lender (after the rota is built)
    req = _validated(patron, record, librarian)
    import ill.routing as routing

    real = routing.ill_request_transition

    def dying(**kwargs):
        if kwargs["action"] == "send_to_supplier":
            raise SystemExit("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(routing, "ill_request_transition", dying)
    with pytest.raises(SystemExit):
        route(request_id=req.pk)
    # then nothing of the ask was written: the entry is still pending
    assert RotaEntry.objects.get(request=req).status == RotaEntry.Status.PENDING
    # when the task is delivered again (acks_late)
    monkeypatch.setattr(routing, "ill_request_transition", real)
    route(request_id=req.pk)
    entry = RotaEntry.objects.get(request=req)
    assert entry.status == RotaEntry.Status.ASKED and entry.position == 1


def test_rota_is_built_once_per_round(patron, record, librarian):
    req = _validated(patron, record, librarian)
    ill_request_transition(
        request_id=req.pk, action="start_sourcing", actor=__import__("ill.services").services.SYSTEM
    )
    assert rota_ensure(request_id=req.pk) == 1
    assert rota_ensure(request_id=req.pk) == 1
    assert RotaEntry.objects.filter(request=req).count() == 1


def test_lender_paused_after_rota_built_is_passed_over(patron, lender, second_lender, agreement, librarian):
    record = held_by(lender, second_lender)
    req = _validated(patron, record, librarian)
    from ill.services import SYSTEM

    ill_request_transition(request_id=req.pk, action="start_sourcing", actor=SYSTEM)
    rota_ensure(request_id=req.pk)
    first = RotaEntry.objects.filter(request=req).order_by("position").first().lender
    first.lending_paused, first.lending_paused_reason = True, "Closed for Eid"
    first.save()
    ask_next_lender(request_id=req.pk)
    req.refresh_from_db()
    assert req.supplier != first
    assert RotaEntry.objects.get(request=req, lender=first).status == RotaEntry.Status.SKIPPED


def test_deadline_in_working_days_then_next_lender(patron, lender, second_lender, agreement, librarian):
    record = held_by(lender, second_lender)
    # asked on Friday 13 March 2026 at 10:00 PKT with 3 working days: due end of Wednesday 18th
    with time_machine.travel(datetime(2026, 3, 13, 10, 0, tzinfo=PKT), tick=False):
        req = _validated(patron, record, librarian)
        route(request_id=req.pk)
    entry = RotaEntry.objects.get(request=req, status=RotaEntry.Status.ASKED)
    assert entry.deadline_at.astimezone(PKT).date() == date(2026, 3, 18)
    with time_machine.travel(datetime(2026, 3, 18, 23, 0, tzinfo=PKT), tick=False):
        assert check_deadlines_task() == 0  # not yet
    with time_machine.travel(datetime(2026, 3, 19, 0, 5, tzinfo=PKT), tick=False):
        assert check_deadlines_task() == 1
        route(request_id=req.pk)  # on commit in production; explicit here
        assert check_deadlines_task() == 0  # a second run changes nothing
    entry.refresh_from_db()
    req.refresh_from_db()
    assert entry.status == RotaEntry.Status.TIMED_OUT
    assert req.status == states.SENT_TO_SUPPLIER and req.supplier != entry.lender


def test_answered_lender_is_not_timed_out(sent, lender_librarian):
    ill_request_transition(request_id=sent.pk, action="expect_to_supply", actor=lender_librarian)
    with time_machine.travel(datetime.now(tz=PKT) + timedelta(days=30), tick=False):
        assert check_deadlines_task() == 0


def test_overdue_marking_and_due_soon_reminder_once(sent, librarian, lender_librarian, patron, act):
    req = act(sent, "will_supply", lender_librarian)
    req = act(req, "ship", lender_librarian)
    req = act(req, "receive", librarian)
    req = act(req, "check_out", librarian)
    due = req.due_date
    with time_machine.travel(
        datetime.combine(due - timedelta(days=2), datetime.min.time(), PKT) + timedelta(hours=9), tick=False
    ):
        assert due_soon_reminders_task() == 1
        due_soon_reminders_task()
        assert OutboundEmail.objects.filter(to=[patron.email], subject__contains="due soon").count() == 1
        assert mark_overdue_task() == 0
    with time_machine.travel(
        datetime.combine(due + timedelta(days=1), datetime.min.time(), PKT) + timedelta(hours=1), tick=False
    ):
        assert mark_overdue_task() == 1
        assert mark_overdue_task() == 0
    req.refresh_from_db()
    assert (req.status, req.supplier_status) == (states.OVERDUE, "Overdue")
    assert OutboundEmail.objects.filter(to=[patron.email], subject__contains="overdue").count() == 1


def test_citation_with_isbn_is_routed_to_holders(librarian, record, lender):
    req = ill_request_create(actor=librarian, title="Typed citation", isbn=record.isbns[0])
    ill_request_transition(request_id=req.pk, action="validate", actor=librarian)
    route(request_id=req.pk)
    req.refresh_from_db()
    assert req.supplier == lender


def test_citation_no_one_holds_ends_rota_with_reason(librarian, agreement):
    req = ill_request_create(actor=librarian, title="Unknown pamphlet, 1951")
    ill_request_transition(request_id=req.pk, action="validate", actor=librarian)
    route(request_id=req.pk)
    req.refresh_from_db()
    assert req.status == states.END_OF_ROTA
    reasons = req.events.get(action="end_of_rota").data["reasons"]
    assert reasons == []  # no lender to account for: the notice says why in its reader's language
    assert end_of_rota_lines(reasons) == ["No member library holds a lendable copy of this item."]


def test_reordered_rota_decides_who_is_asked_next(
    patron, librarian, lender, second_lender, agreement, lender_librarian
):
    fourth = LibraryFactory(code="PK-FOURTH", city="Gilgit", province="GB")
    record = held_by(lender, second_lender, fourth)
    req = _validated(patron, record, librarian)
    route(request_id=req.pk)
    req.refresh_from_db()
    pending = list(RotaEntry.objects.filter(request=req, status="pending").order_by("position"))
    assert len(pending) == 2
    from ill.services import ill_rota_reorder

    ill_rota_reorder(request_id=req.pk, actor=librarian, entry_ids=[pending[1].pk, pending[0].pk])
    first_staff = lender_librarian if req.supplier == lender else None
    from tests.factories import LibrarianFactory

    first_staff = first_staff or LibrarianFactory(library=req.supplier)
    ill_request_transition(
        request_id=req.pk, action="unfilled", actor=first_staff, reason_unfilled="NotOnShelf"
    )
    route(request_id=req.pk)
    req.refresh_from_db()
    assert req.supplier == pending[1].lender
    with pytest.raises(Exception, match="exactly the lenders"):
        ill_rota_reorder(request_id=req.pk, actor=librarian, entry_ids=[pending[1].pk])


def test_end_of_rota_resourced_to_a_library_staff_name(librarian, agreement, lender, lender_librarian):
    # given a citation nobody holds in the catalogue, at the end of its rota
    req = ill_request_create(actor=librarian, title="Gazetteer of the Jhang District, 1883-84")
    ill_request_transition(request_id=req.pk, action="validate", actor=librarian)
    route(request_id=req.pk)
    # when staff name a library that has it and re-source
    with pytest.raises(Exception, match="cannot be added"):
        ill_request_transition(request_id=req.pk, action="resource", actor=librarian, lender="PK-NOWHERE")
    ill_request_transition(request_id=req.pk, action="resource", actor=librarian, lender=lender.code)
    route(request_id=req.pk)
    # then exactly that library is asked, and it can answer
    req.refresh_from_db()
    assert (req.status, req.supplier, req.rota_round) == (states.SENT_TO_SUPPLIER, lender, 2)
    assert "Chosen by staff" in RotaEntry.objects.get(request=req, round=2).reason
    ill_request_transition(request_id=req.pk, action="will_supply", actor=lender_librarian)


def test_small_load_differences_do_not_outrank_distance(patron, librarian, library, agreement):
    # given a same-city lender that lent one more than it borrowed, and a far one that
    # borrowed one more than it lent
    near = LibraryFactory(code="PK-NEAR", city="Lahore", province="PB")
    far = LibraryFactory(code="PK-FAR", city="Quetta", province="BA")
    other = LibraryFactory(code="PK-OTHER")
    IllRequest.objects.create(
        borrower=other, supplier=near, supplier_status="LoanCompleted", status="completed", title="t"
    )
    IllRequest.objects.create(
        borrower=far, supplier=other, supplier_status="LoanCompleted", status="completed", title="t"
    )
    record = held_by(near, far)
    req = _validated(patron, record, librarian)
    # then distance decides
    entries = build_rota(IllRequest.objects.select_related("borrower").get(pk=req.pk))
    assert [e.lender.code for e in entries] == ["PK-NEAR", "PK-FAR"]


def test_route_task_retries_on_transient_database_errors(patron, record, librarian, monkeypatch):
    # given the database drops the worker's connection once
    from django.db import OperationalError

    import ill.tasks as tasks

    req = _validated(patron, record, librarian)
    calls = []

    def flaky(*, request_id):
        calls.append(request_id)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return route(request_id=request_id)

    monkeypatch.setattr(tasks, "route", flaky)
    # when the task runs
    route_request_task.delay(request_id=req.pk)
    # then it was retried and the lender asked once
    assert len(calls) == 2
    assert IllRequest.objects.get(pk=req.pk).status == states.SENT_TO_SUPPLIER
    assert RotaEntry.objects.filter(request=req, status=RotaEntry.Status.ASKED).count() == 1


def _on_loan(sent, librarian, lender_librarian, act):
    req = act(sent, "will_supply", lender_librarian)
    req = act(req, "ship", lender_librarian)
    req = act(req, "receive", librarian)
    req = act(req, "check_out", librarian)
    IllRequest.objects.filter(pk=req.pk).update(renewals_allowed=2)
    req.refresh_from_db()
    return req


def _at(day: date, hour: int = 9):
    return time_machine.travel(
        datetime.combine(day, datetime.min.time(), PKT) + timedelta(hours=hour), tick=False
    )


def test_renewal_unanswered_by_due_date_lapses_and_loan_is_overdue(
    sent, librarian, lender_librarian, patron, act
):
    # given a renewal asked the day before the due date, never answered
    req = _on_loan(sent, librarian, lender_librarian, act)
    due = req.due_date
    with _at(due - timedelta(days=1)):
        req = act(req, "renew", patron)
        assert mark_overdue_task() == 0
    # when the overdue timer runs after the due date
    with _at(due + timedelta(days=1), hour=1):
        assert mark_overdue_task() == 1
        assert mark_overdue_task() == 0
    # then both sides see an overdue loan, the log says the renewal lapsed, the patron is told
    req.refresh_from_db()
    assert (req.status, req.supplier_status) == (states.OVERDUE, states.OVERDUE_S)
    event = req.events.get(action="mark_overdue")
    assert event.from_status == states.RENEW_PENDING and event.data["renewal_lapsed"] is True
    mail = OutboundEmail.objects.get(to=[patron.email], subject__contains="overdue")
    assert "did not answer your renewal request" in mail.body


def test_renewal_asked_when_already_overdue_waits_for_the_lender(
    sent, librarian, lender_librarian, patron, act
):
    req = _on_loan(sent, librarian, lender_librarian, act)
    due = req.due_date
    with _at(due + timedelta(days=1), hour=1):
        assert mark_overdue_task() == 1
    # when the patron asks again after the due date
    with _at(due + timedelta(days=2)):
        req = act(IllRequest.objects.get(pk=req.pk), "renew", patron)
    # then later runs leave the renewal for the lender to answer
    with _at(due + timedelta(days=3)):
        assert mark_overdue_task() == 0
        req.refresh_from_db()
        assert (req.status, req.supplier_status) == (states.RENEW_PENDING, states.RENEW_REQUESTED)
        # and a refusal puts it straight back to overdue, with its due date (issue #17: it
        # went back to "on loan" until the next run of the timer)
        req = act(req, "refuse_renewal", lender_librarian)
        assert (req.status, req.supplier_status, req.due_date) == (states.OVERDUE, states.OVERDUE_S, due)
        assert mark_overdue_task() == 0


def test_lender_staff_may_mark_overdue_only_after_the_due_date(sent, librarian, lender_librarian, login, act):
    req = _on_loan(sent, librarian, lender_librarian, act)
    page = login(lender_librarian).get(f"/ill/requests/{req.pk}/").content.decode()
    assert 'data-testid="action-mark_overdue"' not in page
    with pytest.raises(Exception, match="only after that day"):
        ill_request_transition(request_id=req.pk, action="mark_overdue", actor=lender_librarian)
    with _at(req.due_date + timedelta(days=1)):
        page = login(lender_librarian).get(f"/ill/requests/{req.pk}/").content.decode()
        assert 'data-testid="action-mark_overdue"' in page
        req = act(req, "mark_overdue", lender_librarian)
    assert (req.status, req.supplier_status) == (states.OVERDUE, states.OVERDUE_S)
