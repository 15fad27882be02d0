"""HTML views for imports and the cataloguer's merge/split screen (search pages live elsewhere)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalogue import selectors, services
from catalogue.forms import ImportUploadForm, MergeForm
from catalogue.models import BibRecord, ImportJob, SourceRecord
from consortium.exceptions import DomainError
from consortium.text import csv_writer
from members.permissions import access, can, is_consortium_admin


def _job_for(request: HttpRequest, pk: int) -> ImportJob:
    job = get_object_or_404(ImportJob.objects.select_related("library"), pk=pk)
    if not can(request.user, "library.work", job.library):
        raise PermissionDenied
    return job


@access("staff")
def import_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in ImportJob.Status.values else ""
    jobs = selectors.import_jobs_for(request.user, status=status)
    page = Paginator(jobs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "catalogue/import_list.html",
        {"page": page, "status": status, "status_label": ImportJob.Status(status).label if status else ""},
    )


@access("staff")
def import_upload(request: HttpRequest) -> HttpResponse:
    choose = is_consortium_admin(request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None, choose_library=choose)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        library = data["library"] if choose else request.user.library
        upload = data["file"]
        try:
            job = services.import_job_create(
                actor=request.user,
                library=library,
                file=upload,
                name=upload.name,
                fmt=data["format"],
                replace=data["replace"],
                options={"mapping": data["mapping"]} if data["mapping"] else {},
            )
        except DomainError as exc:
            form.add_error(
                exc.details.get("field") if exc.details.get("field") in form.fields else None, exc.message
            )
        else:
            services.import_job_start(job=job)
            return redirect("import-detail", pk=job.pk)
    return render(request, "catalogue/import_upload.html", {"form": form})


@access("staff")
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    template = (
        "catalogue/_import_progress.html"
        if request.headers.get("HX-Request")
        else "catalogue/import_detail.html"
    )
    errors = job.errors.all()[:200]
    can_rerun = job.status != ImportJob.Status.DONE and services.import_job_can_rerun(job)
    return render(request, template, {"job": job, "errors": errors, "can_rerun": can_rerun})


@require_POST
@access("staff")
def import_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    try:
        services.import_job_rerun(actor=request.user, job_id=job.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The import was queued again; it goes on after the last records it stored.")
        )
    return redirect("import-detail", pk=job.pk)


@access("staff")
def import_errors_csv(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    response.write("\ufeff")
    writer = csv_writer(response)
    writer.writerow(["file", "record_number", "local_id", "reason"])
    if job.error:
        writer.writerow([job.original_name, "", "", job.error_text])
    for error in job.errors.all().iterator():
        writer.writerow([job.original_name, error.record_number, error.local_id, error.reason_text])
    return response


@access("staff")
def record_sources(request: HttpRequest, pk: int) -> HttpResponse:
    record = selectors.bib_record_with_sources(pk)
    if record is None:
        return render(request, "404.html", status=404)
    return render(request, "catalogue/record_sources.html", {"record": record, "merge_form": MergeForm()})


@require_POST
@access("staff")
def record_split(request: HttpRequest, pk: int, source_id: int) -> HttpResponse:
    source = get_object_or_404(SourceRecord, pk=source_id, bib_record_id=pk)
    try:
        new = services.bib_record_split(actor=request.user, source=source)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("record-sources", pk=pk)
    messages.success(request, _("The record was split; the decision is kept on every rematch."))
    return redirect("record-sources", pk=new.pk)


@require_POST
@access("staff")
def record_merge(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(BibRecord, pk=pk)
    form = MergeForm(request.POST)
    if form.is_valid():
        other = BibRecord.objects.filter(pk=form.cleaned_data["other"]).first()
        if other is None:
            messages.error(request, _("There is no record number %(n)s.") % {"n": form.cleaned_data["other"]})
        else:
            try:
                services.bib_record_merge(actor=request.user, target=target, other=other)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, _("The records were merged; the decision is kept on every rematch.")
                )
    else:
        messages.error(request, _("Give the number of the record to merge."))
    return redirect("record-sources", pk=pk)
