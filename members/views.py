"""HTML views for members: directory, registration, staff and consortium management."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members import selectors, services
from members.exceptions import MembersConflict, MembersError, MembersPermissionDenied
from members.forms import (
    AccountForm,
    AccountLanguageForm,
    InviteForm,
    Iso18626CredentialForm,
    Iso18626EndpointForm,
    LibraryForm,
    PatronDecisionForm,
    PatronRegistrationForm,
    PauseForm,
    TokenForm,
)
from members.models import ApiToken, Library, LibraryKind, Province, User
from members.permissions import AUTHENTICATED, PUBLIC, access, can


def _form_errors_from(exc, form) -> None:
    field = exc.details.get("field")
    form.add_error(field if field in form.fields else None, exc.message)


@access(PUBLIC)
def directory(request: HttpRequest) -> HttpResponse:
    """Public directory of member libraries."""
    q = request.GET.get("q", "").strip()[:100]
    province = request.GET.get("province", "")
    kind = request.GET.get("kind", "")
    province = province if province in Province.values else ""
    kind = kind if kind in LibraryKind.values else ""
    libraries = selectors.library_directory(q=q, province=province, kind=kind)
    page = Paginator(libraries, 30).get_page(request.GET.get("page"))
    template = (
        "members/_directory_results.html" if request.headers.get("HX-Request") else "members/directory.html"
    )
    return render(
        request,
        template,
        {
            "page": page,
            "q": q,
            "province": province,
            "kind": kind,
            "provinces": Province.choices,
            "kinds": LibraryKind.choices,
        },
    )


@access(AUTHENTICATED)
def account(request: HttpRequest) -> HttpResponse:
    """The account page: the language the portal's emails to this person are written in."""
    form = AccountLanguageForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.account_language_set(user=request.user, language=form.cleaned_data["language"])
        messages.success(request, _("Saved. The portal's emails to you will be in this language."))
        return redirect("account")
    return render(request, "members/account.html", {"form": form})


@access(PUBLIC)
def library_detail(request: HttpRequest, code: str) -> HttpResponse:
    library = get_object_or_404(Library, code=code)
    return render(request, "members/library_detail.html", {"library": library})


@access(PUBLIC)
def register(request: HttpRequest) -> HttpResponse:
    """Patron self-registration; the home library approves it."""
    form = PatronRegistrationForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.patron_register(
                library=data["library"],
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                card_number=data["card_number"],
                language=data["language"],
            )
        except (MembersError, MembersConflict) as exc:  # e.g. the email address is taken
            _form_errors_from(exc, form)
        except Exception as exc:  # ValidationError from full_clean (e.g. username taken)
            if not hasattr(exc, "message_dict"):
                raise
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request, _("Thank you. Your library will review your registration; we will email you.")
            )
            return redirect("login")
    return render(request, "members/register.html", {"form": form})


@access(PUBLIC)
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_get(token=token)
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.invitation_accept(
                token=token,
                username=data["username"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                language=request.LANGUAGE_CODE,
            )
        except Exception as exc:
            if not hasattr(exc, "message_dict"):
                raise
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Your account is ready. Please log in."))
            return redirect("login")
    return render(request, "members/invitation_accept.html", {"form": form, "invitation": invitation})


def _managed_library(request: HttpRequest, code: str | None) -> Library:
    """The staff member's own library; a consortium admin may name any."""
    if code and request.user.is_consortium_admin:
        return get_object_or_404(Library, code=code)
    if request.user.library_id is None or (code and code != request.user.library.code):
        raise PermissionDenied
    return request.user.library


@access("staff")
def my_library(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """A library's own management page: staff, pending patrons, API tokens, lending pause."""
    library = _managed_library(request, code)
    can_admin = can(request.user, "library.administer", library)
    context = {
        "library": library,
        "can_admin": can_admin,
        "can_patrons": can(request.user, "library.patrons", library),
        "pending": selectors.pending_patrons(library=library),
        "staff": selectors.library_staff(library=library) if can_admin else [],
        "invitations": selectors.pending_invitations(library=library) if can_admin else [],
        "tokens": library.api_tokens.all() if can_admin else [],
        "invite_form": InviteForm(),
        "token_form": TokenForm(),
        "pause_form": PauseForm(),
        "iso_form": Iso18626EndpointForm(initial={"iso18626_url": library.iso18626_url}),
        "credential_form": Iso18626CredentialForm(
            initial={"header": library.iso18626_auth_header or "Authorization"}
        ),
        "events": library.events.select_related("actor")[:20] if can_admin else [],
        "new_key": request.session.pop("new_api_key", None),
    }
    return render(request, "members/my_library.html", context)


@require_POST
@access("staff")
def patron_decide(request: HttpRequest, user_id: int) -> HttpResponse:
    patron = get_object_or_404(User, pk=user_id)
    form = PatronDecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        services.patron_decide(
            actor=request.user, patron=patron, approve=approve, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("Registration approved.") if approve else _("Registration refused."))
    return redirect("my-library")


@require_POST
@access("staff")
def staff_invite(request: HttpRequest, code: str | None = None) -> HttpResponse:
    library = _managed_library(request, code)
    form = InviteForm(request.POST)
    if form.is_valid():
        services.staff_invite(
            actor=request.user,
            library=library,
            email=form.cleaned_data["email"],
            # The invitee has no account yet: the inviter's page language is the best guess.
            language=request.LANGUAGE_CODE,
            role=form.cleaned_data["role"],
        )
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
    else:
        messages.error(request, _("Give a valid email address and role."))
    return _back(request)


@require_POST
@access("staff")
def staff_role(request: HttpRequest, user_id: int) -> HttpResponse:
    staff = get_object_or_404(User, pk=user_id)
    role = request.POST.get("role") or None
    services.staff_set_role(actor=request.user, staff=staff, role=role)
    messages.success(request, _("Staff updated."))
    return redirect("my-library")


@require_POST
@access("staff")
def token_create(request: HttpRequest) -> HttpResponse:
    library = _managed_library(request, None)  # a consortium admin has no library of its own
    form = TokenForm(request.POST)
    if form.is_valid():
        _token, key = services.api_token_create(
            actor=request.user, library=library, name=form.cleaned_data["name"]
        )
        request.session["new_api_key"] = key  # shown once on the next page, then gone
    return redirect("my-library")


@require_POST
@access("staff")
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token revoked."))
    return redirect("my-library")


def _back(request: HttpRequest) -> HttpResponse:
    """Back to the page the form was on (this site only), else the library's own page."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("my-library")


@require_POST
@access("staff")
def lending_pause(request: HttpRequest, code: str) -> HttpResponse:
    library = _managed_library(request, code)
    form = PauseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for pausing lending."))
    else:
        services.library_pause_lending(
            actor=request.user,
            library=library,
            reason=form.cleaned_data["reason"],
            until=form.cleaned_data["until"],
        )
        messages.success(request, _("Lending paused."))
    return _back(request)


@require_POST
@access("staff")
def library_iso18626_credential(request: HttpRequest, code: str) -> HttpResponse:
    """A library admin stores (or removes) the credential its ILL system wants on the portal's calls."""
    library = _managed_library(request, code)
    form = Iso18626CredentialForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _back(request)
    try:
        library = services.library_iso18626_credential_set(
            actor=request.user,
            library=library,
            header=form.cleaned_data["header"],
            value=form.cleaned_data["value"],
        )
    except MembersPermissionDenied:
        raise
    except MembersError as exc:
        messages.error(request, exc.message)
        return _back(request)
    if library.iso18626_auth_sealed:
        messages.success(
            request,
            _("The credential is stored; the portal sends it in the %(header)s header of each message.")
            % {"header": library.iso18626_auth_header},
        )
    else:
        messages.success(request, _("No credential: the portal's messages carry none."))
    return _back(request)


@require_POST
@access("staff")
def library_iso18626(request: HttpRequest, code: str) -> HttpResponse:
    """A library admin records (or clears) the ISO 18626 endpoint of the library's ILL system."""
    library = _managed_library(request, code)
    form = Iso18626EndpointForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("iso18626_url", [])))
        return _back(request)
    try:
        library = services.library_iso18626_endpoint_set(
            actor=request.user, library=library, url=form.cleaned_data["iso18626_url"]
        )
    except MembersPermissionDenied:
        raise
    except MembersError as exc:
        messages.error(request, exc.message)
        return _back(request)
    if library.iso18626_url:
        messages.success(
            request,
            _("ISO 18626 messages for your library now go to %(url)s.") % {"url": library.iso18626_url},
        )
    else:
        messages.success(request, _("No ISO 18626 endpoint: your library works in the portal's queues."))
    return _back(request)


@require_POST
@access("staff")
def lending_resume(request: HttpRequest, code: str) -> HttpResponse:
    library = _managed_library(request, code)
    services.library_resume_lending(actor=request.user, library=library)
    messages.success(request, _("Lending resumed."))
    return _back(request)


@access("consortium.manage")
def members_admin(request: HttpRequest) -> HttpResponse:
    """Consortium admin: every member (former ones too), add a library."""
    form = LibraryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        library = services.library_create(actor=request.user, **form.cleaned_data)
        messages.success(
            request, _("%(name)s added. Invite its first library admin below.") % {"name": library.local_name}
        )
        return redirect("manage-library", code=library.code)
    # ?lending=paused: only members whose lending pause is in effect (the desk's card).
    paused = request.GET.get("lending") == "paused"
    libraries = (
        Library.objects.lending_paused_now().order_by("province", "name")
        if paused
        else selectors.library_directory(include_inactive=True)
    )
    return render(
        request,
        "members/members_admin.html",
        {
            "paused": paused,
            "libraries": libraries,
            "counts": selectors.library_counts(),
            "form": form,
        },
    )


@access("consortium.manage")
def manage_library(request: HttpRequest, code: str) -> HttpResponse:
    library = get_object_or_404(Library, code=code)
    return render(
        request,
        "members/manage_library.html",
        {
            "library": library,
            "staff": selectors.library_staff(library=library),
            "invite_form": InviteForm(),
            "pause_form": PauseForm(),
            "events": library.events.select_related("actor")[:50],
        },
    )


@require_POST
@access("consortium.manage")
def library_membership(request: HttpRequest, code: str) -> HttpResponse:
    library = get_object_or_404(Library, code=code)
    if request.POST.get("action") == "remove":
        services.library_deactivate(actor=request.user, library=library, note=request.POST.get("note", ""))
        messages.success(
            request,
            _("%(name)s is no longer an active member; its history is kept.") % {"name": library.local_name},
        )
    else:
        services.library_reactivate(actor=request.user, library=library)
        messages.success(request, _("%(name)s is an active member again.") % {"name": library.local_name})
    return redirect("manage-library", code=code)


def _demo_mailbox_or_404() -> None:
    # Only in the demo: with a real mail server the messages are the recipients' own
    # (password-reset links), not something a consortium admin reads.
    from members.email import demo_mailbox_enabled

    if not demo_mailbox_enabled():
        raise Http404(_("The demo mailbox is only there when the portal runs with demo delivery."))


@access("consortium.manage")
def mailbox(request: HttpRequest) -> HttpResponse:
    """The demo's mailbox: every email the portal sent, newest first (like a dev mail catcher)."""
    _demo_mailbox_or_404()
    page = Paginator(selectors.outbox_messages(), 50).get_page(request.GET.get("page"))
    return render(request, "members/mailbox.html", {"page": page})


@access("consortium.manage")
def mailbox_message(request: HttpRequest, email_id: int) -> HttpResponse:
    """One email of the demo mailbox, with its body."""
    _demo_mailbox_or_404()
    email = get_object_or_404(selectors.outbox_messages(), pk=email_id)
    return render(request, "members/mailbox_message.html", {"email": email})
