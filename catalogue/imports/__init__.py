"""Importing a library's file into the union catalogue.

One code path for the upload page, the API and ``manage.py import_records``:
``import_job_create`` checks and stores the file and the job; ``import_job_run`` reads it
(from the Celery task "catalogue.import_file", or directly from the command).

Modules: jobs (job lifecycle, heartbeat, stale sweep, rerun), parsing (the parser
process pool, its GC and nice settings), planning (one batch's reads and writes),
candidates (matching a batch), derive (BibRecords derived from their sources), writer
(the write-behind thread and the catalogue lock), records (what travels between the
stages: ParsedRecord, RejectedRecord), copy and tables (COPY text, one column list per
table). Cataloguers' merge, split and rematch: catalogue.cataloguing.

How an import stays fast and safe (docs/performance.md, "Import"):
* records are parsed (well-formed UTF-8 MARC by catalogue.marc's lean decoder, the rest
  by pymarc; and their match keys, search texts and their own columns in COPY text) in
  a pool of parser processes, also inside Celery's prefork workers, up to PARSE_AHEAD
  batches ahead of the main process at a lower priority; a file's first batches are
  small and double up to BATCH_SIZE so that writing starts early and never waits long
  for the next plan. The main process pauses the cyclic garbage collector for the job
  (parsing.no_cyclic_gc);
* each batch of BATCH_SIZE records is one transaction: one query finds the library's
  existing source records, one query finds every match candidate, source records and
  holdings are loaded with COPY, new BibRecords are inserted complete (ids taken from the
  sequences first), and touched BibRecords are rewritten by ONE UPDATE that also sets the
  search document and the holding arrays (same results as catalogue.indexing); both go
  through a staging table loaded with COPY. A record that only gains new sources is
  merged into its stored fields (equal to a full recompute: sources merge in id order);
  others are derived again from all their sources;
* each batch is planned (its reads and matching) by the main thread and written, in one
  transaction, by a writer thread with a connection of its own while the next batch is
  planned (writer.WriteBehind): the next plan reads what is committed and takes what the batch
  being written stores from memory (derive.Stored). The writer holds the catalogue lock for
  the import and hands it to a writer waiting for it every 2 seconds; inside a caller's
  transaction batches are planned and written in turn;
* candidates are looked up in the match-key table's btree, a batch's keys in one scan
  (candidates.CANDIDATES_SQL, catalogue.models.MatchKey); a
  record that only gains sources gets its holding arrays from its stored ones and the
  new library's, compares the new sources with the richness of its preferred source
  kept on the record, and keeps its search document when its described fields stay;
* batch statements are planned for index lookups with JIT off (writer.batch_plans): during a
  large import the new tables have no statistics yet (nor has the staging table ever:
  its joins are written so that only key lookups are possible);
* a killed import leaves whole batches only, each with its counts and rejected records
  added to the job in its own transaction; running it again (the task redelivered, the
  stale-job sweep, a librarian's "Run again") goes on after the last committed batch, so
  the job's counts stay those of the whole file. Batches commit without waiting for the
  WAL flush for the same reason: what a server crash could lose (the last batches, with
  their counts) is redone by the re-run. A run holds its job's advisory lock (a second
  delivery while it is alive ends at once) and refreshes the job's heartbeat from a
  thread (jobs._Heartbeat); a running job with a stale heartbeat and a free lock lost its
  worker and is queued again by import_jobs_resume_stale (consortium/schedules.py);
* batches take the catalogue's advisory lock (the writer for the session, in turn for
  the transaction) so two imports never create the same new record twice.
"""

from catalogue.imports.derive import BIB_FIELDS, bib_records_recompute, merge_sources
from catalogue.imports.jobs import (
    import_job_can_rerun,
    import_job_create,
    import_job_rerun,
    import_job_run,
    import_job_run_alive,
    import_job_start,
    import_jobs_resume_stale,
    import_path,
    library_by_code,
)

__all__ = [
    "BIB_FIELDS",
    "bib_records_recompute",
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
