"""Public API for the member directory."""

from rest_framework import serializers, viewsets

from members.models import Library
from members.permissions import PUBLIC


class LibraryOutputSerializer(serializers.ModelSerializer):
    province_name = serializers.CharField(source="get_province_display")
    kind_name = serializers.CharField(source="get_kind_display")
    lending = serializers.SerializerMethodField()

    class Meta:
        model = Library
        fields = [
            "code",
            "name",
            "name_ur",
            "kind",
            "kind_name",
            "city",
            "city_ur",
            "province",
            "province_name",
            "email",
            "phone",
            "website",
            "joined_on",
            "lending",
        ]

    def get_lending(self, library: Library) -> bool:
        return library.is_lending_today()


class LibraryViewSet(viewsets.ReadOnlyModelViewSet):
    """Member libraries (active members only)."""

    access_rule = PUBLIC
    serializer_class = LibraryOutputSerializer
    lookup_field = "code"
    filterset_fields = ["province", "kind", "city"]
    queryset = Library.objects.active().order_by("code")
