"""HTML views for policies and agreements: parse, authorise, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.permissions import PUBLIC, access, can
from policies import exceptions as err
from policies import selectors, services
from policies.calendar import pakistan_date
from policies.forms import AgreementForm, DraftForm, HolidayForm, PolicyCreateForm, ReasonForm
from policies.models import Agreement, AgreementStatus, Holiday, Policy, PolicyVersion
from policies.rendering import render_diff, render_markdown


def _add_error(form, exc: err.DomainError) -> None:
    field = exc.details.get("field")
    form.add_error(field if field in form.fields else None, str(exc.message))


def _policy_or_404(slug: str) -> Policy:
    try:
        return selectors.policy_get(slug=slug)
    except Policy.DoesNotExist as exc:
        raise Http404 from exc


# --- public policy pages ---------------------------------------------------------------


@access(PUBLIC)
def policy_list(request: HttpRequest) -> HttpResponse:
    """Policies in force, each with its version history."""
    library_id = getattr(request.user, "library_id", None)
    to_acknowledge: set[int] = set()
    if can(request.user, "policies.acknowledge", library_id):
        # The latest published version of each policy that this library has not acknowledged.
        done = selectors.acknowledged_version_ids(library_id=library_id)
        to_acknowledge = {
            p.pk
            for p in selectors.policies_with_history()
            if p.published_versions and p.published_versions[0].pk not in done
        }
    return render(
        request,
        "policies/policy_list.html",
        {
            "in_force": selectors.policies_in_force(),
            "retired": [p for p in selectors.policies_with_history(include_retired=True) if p.retired],
            "to_acknowledge": to_acknowledge,
        },
    )


def _policy_page(request: HttpRequest, policy: Policy, version: PolicyVersion | None) -> HttpResponse:
    in_force = selectors.version_in_force(policy)
    current = policy.published_versions[0] if policy.published_versions else None
    library_id = getattr(request.user, "library_id", None)
    acknowledgement = (
        selectors.library_acknowledged(library_id=library_id, version=current) if current else None
    )
    return render(
        request,
        "policies/policy_detail.html",
        {
            "policy": policy,
            "version": version,
            "in_force": in_force,
            "current": current,
            "body": render_markdown(version.body_markdown) if version else "",
            "history": policy.published_versions,
            "can_acknowledge": (
                current is not None
                and version == current
                and not policy.retired
                and acknowledgement is None
                and can(request.user, "policies.acknowledge", library_id)
            ),
            "acknowledgement": acknowledgement,
            "can_manage": can(request.user, "consortium.manage"),
        },
    )


@access(PUBLIC)
def policy_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The version in force (or the latest published, if none is in force yet): printable."""
    policy = _policy_or_404(slug)
    version = selectors.version_in_force(policy) or (policy.published_versions or [None])[0]
    if version is None and not can(request.user, "consortium.manage"):
        raise Http404
    return _policy_page(request, policy, version)


@access(PUBLIC)
def policy_version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    policy = _policy_or_404(slug)
    version = next((v for v in policy.published_versions if v.number == number), None)
    if version is None:
        raise Http404
    return _policy_page(request, policy, version)


@access(PUBLIC)
def policy_diff(request: HttpRequest, slug: str) -> HttpResponse:
    """Readable differences between any two published versions (?from=1&to=3)."""
    policy = _policy_or_404(slug)
    versions = {v.number: v for v in policy.published_versions}
    try:
        old = versions[int(request.GET.get("from", ""))]
        new = versions[int(request.GET.get("to", ""))]
    except (KeyError, ValueError) as exc:
        if len(versions) < 2:
            raise Http404 from exc
        numbers = sorted(versions)
        old, new = versions[numbers[-2]], versions[numbers[-1]]
    diff = render_diff(
        old_text=old.body_markdown,
        new_text=new.body_markdown,
        old_label=_("Version %(n)s") % {"n": old.number},
        new_label=_("Version %(n)s") % {"n": new.number},
    )
    return render(
        request,
        "policies/policy_diff.html",
        {
            "policy": policy,
            "old": old,
            "new": new,
            "diff": diff,
            "versions": sorted(versions.values(), key=lambda v: v.number),
        },
    )


@require_POST
@access("policies.acknowledge")
def policy_acknowledge(request: HttpRequest, slug: str) -> HttpResponse:
    policy = get_object_or_404(Policy, slug=slug)
    version = services.current_version(policy)
    if version is None:
        raise Http404
    services.policy_acknowledge(actor=request.user, version=version)
    messages.success(request, _("Your library acknowledged version %(n)s.") % {"n": version.number})
    return redirect("policies:detail", slug=slug)


# --- consortium admin: policy editing ---------------------------------------------------


@access("consortium.manage")
def policy_manage(request: HttpRequest) -> HttpResponse:
    """All policies with drafts and retired ones; create a new policy."""
    form = PolicyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.policy_create(actor=request.user, **form.cleaned_data)
        except err.PoliciesError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Policy created; write its first version."))
            return redirect("policies:edit", slug=policy.slug)
    return render(request, "policies/manage.html", {"policies": selectors.policies_for_admin(), "form": form})


@require_POST
@access("consortium.manage")
def policy_draft_start(request: HttpRequest, slug: str) -> HttpResponse:
    policy = get_object_or_404(Policy, slug=slug)
    services.policy_draft_start(actor=request.user, policy=policy)
    return redirect("policies:edit", slug=slug)


@access("consortium.manage")
def policy_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """The draft editor: save, or publish with an effective date; live preview via htmx."""
    policy = get_object_or_404(Policy, slug=slug)
    draft = selectors.policy_draft(policy)
    if draft is None:
        return render(request, "policies/edit.html", {"policy": policy, "draft": None})
    form = DraftForm(
        request.POST or None,
        initial={
            "body_markdown": draft.body_markdown,
            "change_note": draft.change_note,
            "revision": draft.revision,
            "effective_from": pakistan_date(),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # Save and publish together: a refused publication leaves the draft as it was.
            with transaction.atomic():
                draft = services.policy_draft_save(
                    actor=request.user,
                    version=draft,
                    body_markdown=data["body_markdown"],
                    change_note=data["change_note"],
                    revision=data["revision"],
                )
                if request.POST.get("action") == "publish":
                    services.policy_version_publish(
                        actor=request.user,
                        version=draft,
                        effective_from=data["effective_from"],
                        revision=draft.revision,
                    )
                    messages.success(request, _("Version %(n)s published.") % {"n": draft.number})
                    return redirect("policies:detail", slug=slug)
        except err.StaleDraft as exc:
            # Show both texts. The form now carries the current revision, so saving again
            # is a deliberate choice to replace the other editor's text, never a silent one.
            current = PolicyVersion.objects.select_related("updated_by").get(pk=draft.pk)
            resubmit = request.POST.copy()
            resubmit["revision"] = str(current.revision)
            form = DraftForm(resubmit)
            form.is_valid()
            _add_error(form, exc)
            return render(
                request,
                "policies/edit.html",
                {
                    "policy": policy,
                    "draft": current,
                    "form": form,
                    "stale": True,
                    "theirs": current.body_markdown,
                },
                status=409,
            )
        except err.PoliciesError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("policies:edit", slug=slug)
    preview = ""
    try:
        preview = render_markdown(form["body_markdown"].value() or "")
    except err.PoliciesError:
        preview = ""
    return render(
        request, "policies/edit.html", {"policy": policy, "draft": draft, "form": form, "preview": preview}
    )


@require_POST
@access("consortium.manage")
def policy_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the sanitized rendering of the Markdown being typed (changes nothing)."""
    try:
        html = render_markdown(request.POST.get("body_markdown", ""))
    except err.PoliciesError as exc:
        return render(request, "policies/_preview.html", {"error": exc.message})
    return render(request, "policies/_preview.html", {"html": html})


@require_POST
@access("consortium.manage")
def policy_retire(request: HttpRequest, slug: str) -> HttpResponse:
    policy = get_object_or_404(Policy, slug=slug)
    services.policy_retire(actor=request.user, policy=policy)
    messages.success(
        request, _("“%(title)s” is retired; its history stays public.") % {"title": policy.title}
    )
    return redirect("policies:manage")


@access("consortium.manage")
def policy_acknowledgements(request: HttpRequest, slug: str) -> HttpResponse:
    """Who has and has not acknowledged the current version; send reminders."""
    policy = get_object_or_404(Policy, slug=slug)
    version = services.current_version(policy)
    if request.method == "POST":
        count = services.policy_reminders_send(actor=request.user, policy=policy)
        messages.success(request, _("Reminders sent to %(n)s libraries.") % {"n": count})
        return redirect("policies:acknowledgements", slug=slug)
    rows = selectors.acknowledgement_status(version=version) if version else []
    return render(
        request,
        "policies/acknowledgements.html",
        {
            "policy": policy,
            "version": version,
            "rows": rows,
            "pending": sum(1 for r in rows if not r.acknowledgement),
        },
    )


# --- agreements -------------------------------------------------------------------------


def _agreement_or_404(request: HttpRequest, pk: int) -> Agreement:
    try:
        return selectors.agreement_get(user=request.user, pk=pk)
    except Agreement.DoesNotExist as exc:
        raise Http404 from exc


@access("agreements.view")
def agreement_list(request: HttpRequest) -> HttpResponse:
    agreements = selectors.agreements_visible(user=request.user)
    # ?ending=60: only agreements in force that end within that many days (the desk's card).
    ending = request.GET.get("ending", "")
    ending_days = int(ending) if ending.isdigit() and 0 < int(ending) <= 366 else None
    if ending_days is not None:
        agreements = agreements.filter(
            pk__in=selectors.agreements_ending(within_days=ending_days).values("pk")
        )
    awaiting = selectors.agreements_awaiting_signature(library=getattr(request.user, "library", None))
    if not can(request.user, "agreements.accept", getattr(request.user, "library_id", None)):
        awaiting = awaiting.none()
    return render(
        request,
        "policies/agreement_list.html",
        {
            "agreements": agreements,
            "ending_days": ending_days,
            "awaiting": awaiting,
            "can_manage": can(request.user, "consortium.manage"),
        },
    )


@access("agreements.view")
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement_or_404(request, pk)
    accepted = {a.library_id: a for a in agreement.acceptances.all()}
    library_id = getattr(request.user, "library_id", None)
    party_ids = {p.pk for p in agreement.parties.all()}
    return render(
        request,
        "policies/agreement_detail.html",
        {
            "agreement": agreement,
            "signatures": [(party, accepted.get(party.pk)) for party in agreement.parties.all()],
            "events": selectors.agreement_history(agreement),
            "can_sign": agreement.status == AgreementStatus.PROPOSED
            and library_id in party_ids
            and library_id not in accepted
            and can(request.user, "agreements.accept", library_id),
            "can_manage": can(request.user, "consortium.manage"),
            "reason_form": ReasonForm(),
            "Status": AgreementStatus,
        },
    )


@require_POST
@access("agreements.accept")
def agreement_accept(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement_or_404(request, pk)
    agreement = services.agreement_accept(
        actor=request.user, agreement=agreement, library=request.user.library
    )
    if agreement.status == AgreementStatus.ACTIVE:
        messages.success(request, _("Signed. Every party has accepted: the agreement is now active."))
    else:
        messages.success(request, _("Signed for %(lib)s.") % {"lib": request.user.library.local_name})
    return redirect("policies:agreement-detail", pk=pk)


def _agreement_form_save(
    request: HttpRequest, form: AgreementForm, agreement: Agreement | None
) -> Agreement | None:
    data = dict(form.cleaned_data)
    try:
        if agreement is None:
            return services.agreement_create(actor=request.user, **data)
        return services.agreement_update(actor=request.user, agreement=agreement, **data)
    except err.PoliciesError as exc:
        _add_error(form, exc)
        return None


@access("consortium.manage")
def agreement_create(request: HttpRequest) -> HttpResponse:
    form = AgreementForm(
        request.POST or None, initial={"valid_from": pakistan_date(), "services_allowed": ["loan", "copy"]}
    )
    if request.method == "POST" and form.is_valid():
        agreement = _agreement_form_save(request, form, None)
        if agreement is not None:
            messages.success(request, _("Draft agreement saved. Propose it to the parties when ready."))
            return redirect("policies:agreement-detail", pk=agreement.pk)
    return render(request, "policies/agreement_form.html", {"form": form, "agreement": None})


@access("consortium.manage")
def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = get_object_or_404(Agreement, pk=pk)
    if agreement.status != AgreementStatus.DRAFT:
        raise err.PoliciesConflict(
            err.AGREEMENT_NOT_EDITABLE % {"status": agreement.get_status_display()},
            code=err.ErrorCode.AGREEMENT_NOT_EDITABLE,
        )
    initial = {field: getattr(agreement, field) for field in services.EDITABLE_FIELDS}
    initial["parties"] = list(agreement.parties.all())
    initial["policy_versions"] = list(agreement.policy_versions.all())
    form = AgreementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _agreement_form_save(request, form, agreement)
        if saved is not None:
            messages.success(request, _("Draft agreement saved."))
            return redirect("policies:agreement-detail", pk=pk)
    return render(request, "policies/agreement_form.html", {"form": form, "agreement": agreement})


AGREEMENT_ACTIONS = {
    "propose": (
        lambda actor, agreement, reason: services.agreement_propose(actor=actor, agreement=agreement)
    ),
    "withdraw": (
        lambda actor, agreement, reason: services.agreement_withdraw(actor=actor, agreement=agreement)
    ),
    "suspend": (
        lambda actor, agreement, reason: services.agreement_suspend(
            actor=actor, agreement=agreement, reason=reason
        )
    ),
    "resume": (lambda actor, agreement, reason: services.agreement_resume(actor=actor, agreement=agreement)),
    "terminate": (
        lambda actor, agreement, reason: services.agreement_terminate(
            actor=actor, agreement=agreement, reason=reason
        )
    ),
}


@require_POST
@access("consortium.manage")
def agreement_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Propose, withdraw, suspend, resume or terminate (with a reason where one is needed)."""
    if action not in AGREEMENT_ACTIONS:
        raise Http404
    agreement = get_object_or_404(Agreement, pk=pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    agreement = AGREEMENT_ACTIONS[action](request.user, agreement, reason)
    messages.success(
        request, _("The agreement is now: %(status)s.") % {"status": agreement.get_status_display()}
    )
    return redirect("policies:agreement-detail", pk=pk)


@access("consortium.manage")
def borrowing_matrix(request: HttpRequest) -> HttpResponse:
    """Who may borrow from whom today: libraries × libraries, loan and copy, deciding agreement."""
    libraries, rows = selectors.borrowing_matrix()
    legend = selectors.deciding_agreements(rows)
    return render(
        request,
        "policies/matrix.html",
        {"libraries": libraries, "rows": rows, "legend": legend, "today": pakistan_date()},
    )


@access("consortium.manage")
def holidays(request: HttpRequest) -> HttpResponse:
    """The admin's corrections to the computed Pakistani holiday calendar."""
    form = HolidayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.holiday_set(
            actor=request.user,
            day=form.cleaned_data["date"],
            kind=form.cleaned_data["kind"],
            name=form.cleaned_data["name"],
        )
        messages.success(request, _("Calendar corrected."))
        return redirect("policies:holidays")
    upcoming = Holiday.objects.filter(date__gte=pakistan_date().replace(month=1, day=1)).select_related(
        "created_by"
    )
    return render(request, "policies/holidays.html", {"form": form, "corrections": upcoming})
