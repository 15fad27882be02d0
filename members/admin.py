"""The Django admin for consortium admins, with history kept (no hard deletes of members)."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from members.exceptions import MembersError
from members.models import ApiToken, Invitation, Library, MembershipEvent, OutboundEmail, User
from members.services import iso18626_endpoint_check


class MembershipEventInline(admin.TabularInline):
    model = MembershipEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "kind", "actor", "note"]


class LibraryAdminForm(forms.ModelForm):
    class Meta:
        model = Library
        # Every field of a member but the sealed credential (set on My library, never shown).
        exclude = ["iso18626_auth_sealed", "iso18626_auth_set_at"]  # noqa: DJ006 - see above

    def clean_iso18626_url(self) -> str:
        """The same check as on My library: the portal must be allowed to call it."""
        url = (self.cleaned_data.get("iso18626_url") or "").strip()
        if url:
            try:
                iso18626_endpoint_check(url)
            except MembersError as exc:
                raise forms.ValidationError(exc.message) from exc
        return url


@admin.register(Library)
class LibraryAdmin(admin.ModelAdmin):
    form = LibraryAdminForm
    list_display = ["code", "name", "city", "province", "kind", "is_active", "lending_paused"]
    list_filter = ["province", "kind", "is_active", "lending_paused"]
    search_fields = ["code", "name", "name_ur", "city", "city_ur"]
    inlines = [MembershipEventInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # remove a member by deactivating it: its history stays


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ["username", "email", "role", "library", "patron_status", "is_active"]
    list_filter = ["role", "patron_status", "is_active", "library__province"]
    search_fields = ["username", "email", "first_name", "last_name", "card_number"]
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Ishtiraak", {"fields": ["role", "library", "card_number", "patron_status", "language", "phone"]}),
    )
    list_select_related = ["library"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "library", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_hash", "prefix"]


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]


admin.site.register(Invitation)
