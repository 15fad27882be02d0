"""Writes of the union catalogue: importing files (catalogue.imports) and cataloguers'
decisions (catalogue.cataloguing), under the names callers use."""

from catalogue.cataloguing import bib_record_merge, bib_record_split, catalogue_rematch
from catalogue.exceptions import ImportRejected
from catalogue.imports import (
    BIB_FIELDS,
    bib_records_recompute,
    import_job_can_rerun,
    import_job_create,
    import_job_rerun,
    import_job_run,
    import_job_run_alive,
    import_job_start,
    import_jobs_resume_stale,
    import_path,
    library_by_code,
    merge_sources,
)

__all__ = [
    "BIB_FIELDS",
    "ImportRejected",
    "bib_record_merge",
    "bib_record_split",
    "bib_records_recompute",
    "catalogue_rematch",
    "import_job_can_rerun",
    "import_job_create",
    "import_job_rerun",
    "import_job_run",
    "import_job_run_alive",
    "import_job_start",
    "import_jobs_resume_stale",
    "import_path",
    "library_by_code",
    "merge_sources",
]
