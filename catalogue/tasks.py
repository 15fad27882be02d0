"""Thin Celery tasks for the catalogue."""

from celery import shared_task

from catalogue.facet_counts import facet_counts_recompute
from catalogue.services import import_job_run, import_jobs_resume_stale


# An import of 1,000,000 records takes about six minutes; the limit leaves room. A killed
# run is started again (a lost worker child: redelivered at once; a lost worker: by
# resume_stale_imports) and goes on after its last committed batch.
@shared_task(name="catalogue.import_file", time_limit=3 * 3600, soft_time_limit=3 * 3600 - 60, acks_late=True)
def import_file_task(*, job_id: int) -> str:
    job = import_job_run(job_id=job_id)
    return job.status


# A few indexed rows and as many lock lookups each minute: seconds are plenty.
@shared_task(name="catalogue.resume_stale_imports", time_limit=60, soft_time_limit=50)
def resume_stale_imports_task() -> int:
    """Queue again the imports whose worker died; returns how many."""
    return len(import_jobs_resume_stale())


# About 6 s at 1,000,000 records (catalogue writes wait meanwhile); killed and retried
# next night at worst, since the triggers keep the counts in between.
@shared_task(name="catalogue.recount_facets", time_limit=600, soft_time_limit=540)
def recount_facets_task() -> int:
    """Recount the facet counts browsing reads; returns how many were wrong."""
    return facet_counts_recompute()
