"""Django admin: the holiday corrections are edited here; policies and agreements are shown
read-only, because their changes go through the portal's services (history, signatures)."""

from django.contrib import admin

from policies.models import (
    Agreement,
    AgreementAcceptance,
    AgreementEvent,
    Holiday,
    Policy,
    PolicyAcknowledgement,
    PolicyEvent,
    PolicyEventKind,
    PolicyVersion,
)
from policies.services import policy_event


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PolicyVersionInline(admin.TabularInline):
    model = PolicyVersion
    extra = 0
    fields = ["number", "status", "effective_from", "published_by", "published_at", "change_note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class PolicyEventInline(admin.TabularInline):
    model = PolicyEvent
    extra = 0
    fields = ["created_at", "kind", "actor", "version", "library", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Policy)
class PolicyAdmin(ReadOnlyAdmin):
    list_display = ["title", "slug", "category", "retired"]
    list_filter = ["category", "retired"]
    search_fields = ["title", "slug"]
    inlines = [PolicyVersionInline, PolicyEventInline]


@admin.register(PolicyAcknowledgement)
class PolicyAcknowledgementAdmin(ReadOnlyAdmin):
    list_display = ["version", "library", "acknowledged_by", "acknowledged_at"]
    list_select_related = ["version__policy", "library", "acknowledged_by"]


class AcceptanceInline(admin.TabularInline):
    model = AgreementAcceptance
    extra = 0
    readonly_fields = ["library", "accepted_by", "accepted_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = AgreementEvent
    extra = 0
    readonly_fields = ["created_at", "kind", "actor", "library", "from_status", "to_status", "note"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "status", "valid_from", "valid_until", "loan_period_days"]
    list_filter = ["kind", "status"]
    search_fields = ["name", "parties__code"]
    inlines = [AcceptanceInline, EventInline]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name", "created_by"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    exclude = ["created_by"]

    def save_model(self, request, obj, form, change) -> None:
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
        # The same history as a correction made on the portal's page (policies.services.holiday_set).
        note = f"{obj.date.isoformat()}: {obj.kind} ({obj.name})"
        policy_event(kind=PolicyEventKind.HOLIDAY_SET, actor=request.user, policy=None, note=note)

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        note = f"{obj.date.isoformat()}: correction removed"
        policy_event(kind=PolicyEventKind.HOLIDAY_SET, actor=request.user, policy=None, note=note)
