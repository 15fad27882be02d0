"""Import API for library systems: POST a file with the library's token, then poll the job."""

from __future__ import annotations

import dataclasses

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue import services
from catalogue.exceptions import MSG_MAPPING_NOT_OBJECT, MSG_NOT_YOUR_LIBRARY, ErrorCode
from catalogue.models import ImportJob
from consortium.exceptions import PermissionDenied
from members.permissions import can


class _ProgressSerializer(serializers.Serializer):
    percent = serializers.IntegerField(help_text="Of the file's bytes, read and stored")
    records_per_second = serializers.IntegerField(help_text="This run's rate")
    seconds_left = serializers.IntegerField(help_text="At this run's rate")


class ImportJobOutputSerializer(serializers.ModelSerializer):
    library = serializers.CharField(source="library.code")
    url = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField(
        help_text="While running: the share of the file's bytes read, and this run's rate and "
        "time left; null before its first batch is stored and once the job ends."
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "url",
            "library",
            "original_name",
            "format",
            "replace",
            "status",
            "total",
            "processed",
            "bytes_total",
            "bytes_read",
            "progress",
            "created",
            "updated",
            "merged",
            "unchanged",
            "rejected",
            "withdrawn",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_url(self, job: ImportJob) -> str:
        return f"/api/v1/imports/{job.pk}/"

    @extend_schema_field(_ProgressSerializer(allow_null=True))
    def get_progress(self, job: ImportJob) -> dict | None:
        running = job.status == ImportJob.Status.RUNNING
        progress = job.progress if running else None
        return dataclasses.asdict(progress) if progress else None


class ImportCreateApi(APIView):
    """POST a file (multipart field `file`); optional `format`, `replace`, `library` (your own code),
    `mapping` (JSON, for CSV: {"local_id": "Acc No", "title": "Book Name", ...})."""

    access_rule = "library.work"
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        format = serializers.ChoiceField(choices=["", "marc", "marcxml", "csv"], required=False, default="")
        replace = serializers.BooleanField(required=False, default=False)
        library = serializers.CharField(required=False, default="")
        mapping = serializers.JSONField(
            required=False, default=dict, help_text="CSV: our field -> your column"
        )

        def validate_mapping(self, value):
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise serializers.ValidationError(MSG_MAPPING_NOT_OBJECT)
            return value

    @extend_schema(
        request={"multipart/form-data": InputSerializer}, responses={202: ImportJobOutputSerializer}
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        code = values["library"] or getattr(getattr(request.user, "library", None), "code", "")
        library = services.library_by_code(code)
        if not can(request.user, "library.work", library):
            raise PermissionDenied(
                MSG_NOT_YOUR_LIBRARY.format(code=code), code=ErrorCode.NOT_YOUR_LIBRARY, field="library"
            )
        upload = values["file"]
        job = services.import_job_create(
            actor=request.user,
            library=library,
            file=upload,
            name=upload.name,
            fmt=values["format"],
            replace=values["replace"],
            options={"mapping": values["mapping"]} if values["mapping"] else {},
        )
        services.import_job_start(job=job)
        return Response(ImportJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportDetailApi(APIView):
    """Status and counts of one import job of your library."""

    access_rule = "library.work"

    @extend_schema(responses=ImportJobOutputSerializer)
    def get(self, request, pk: int):
        job = get_object_or_404(ImportJob.objects.select_related("library"), pk=pk)
        if not can(request.user, "library.work", job.library):
            raise PermissionDenied(
                MSG_NOT_YOUR_LIBRARY.format(code=job.library.code), code=ErrorCode.NOT_YOUR_LIBRARY
            )
        job.refresh_from_db()
        return Response(ImportJobOutputSerializer(job).data)
