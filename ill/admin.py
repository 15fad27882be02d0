from django.contrib import admin

from ill.models import IllEvent, IllMessage, IllRequest, Iso18626Delivery, RotaEntry


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class RotaInline(ReadOnlyInline):
    model = RotaEntry
    fields = ["round", "position", "lender", "status", "asked_at", "deadline_at", "answered_at", "reason"]


class EventInline(ReadOnlyInline):
    model = IllEvent
    fields = ["created_at", "action", "actor_role", "from_status", "to_status", "to_supplier_status", "note"]


@admin.register(IllRequest)
class IllRequestAdmin(admin.ModelAdmin):
    """Read-only: states change only through the transition service (the queues and API)."""

    list_display = ["pk", "title", "borrower", "supplier", "status", "supplier_status", "created_at"]
    list_filter = ["status", "service_type"]
    search_fields = ["title", "pk"]
    inlines = [RotaInline, EventInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(IllMessage)
class IllMessageAdmin(admin.ModelAdmin):
    list_display = ["request", "sender", "recipient", "created_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Iso18626Delivery)
class Iso18626DeliveryAdmin(admin.ModelAdmin):
    """ISO 18626 messages sent to libraries' systems and their Confirmations (read-only)."""

    list_display = ["pk", "request", "library", "kind", "summary", "status", "attempts", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["request__pk", "library__code"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
