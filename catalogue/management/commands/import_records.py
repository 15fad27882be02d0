"""Import MARC21, MARCXML or CSV files for a library (same code path as uploads and the API)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogue.services import import_path, library_by_code
from consortium.exceptions import DomainError


class Command(BaseCommand):
    help = "Import records for a library; exits non-zero when nothing could be imported."

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--library", required=True, help="Library code, e.g. PK-LUMS")
        parser.add_argument("--format", choices=["marc", "marcxml", "csv"], default="")
        parser.add_argument("--replace", action="store_true", help="Withdraw records absent from the file")
        parser.add_argument("--json", action="store_true", help="Print a JSON summary")
        parser.add_argument("--processes", type=int, default=None, help="Parser processes")

    def handle(self, *args, **options) -> None:
        try:
            library = library_by_code(options["library"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        summaries = []
        imported = 0
        for path in options["files"]:
            if not path.is_file():
                summaries.append({"file": str(path), "status": "failed", "error": f"{path}: no such file."})
                continue
            try:
                job = import_path(
                    actor=None,
                    library=library,
                    path=path,
                    fmt=options["format"],
                    replace=options["replace"],
                    processes=options["processes"],
                )
            except DomainError as exc:
                summaries.append({"file": str(path), "status": "failed", "error": exc.message})
                continue
            imported += job.imported
            summaries.append(
                {
                    "file": str(path),
                    "job": job.pk,
                    "status": job.status,
                    "records": job.processed,
                    "created": job.created,
                    "updated": job.updated,
                    "unchanged": job.unchanged,
                    "merged": job.merged,
                    "withdrawn": job.withdrawn,
                    "rejected": job.rejected,
                    "error": job.error,
                    "errors": [
                        {"record": e.record_number, "local_id": e.local_id, "reason": e.reason}
                        for e in job.errors.all()[:100]
                    ],
                }
            )
        if options["json"]:
            self.stdout.write(
                json.dumps({"library": library.code, "files": summaries}, ensure_ascii=False, indent=2)
            )
        else:
            for s in summaries:
                if "job" in s:
                    self.stdout.write(
                        f"{s['file']}: {s['status']}: {s['records']} records, {s['created']} new, "
                        f"{s['updated']} updated, {s['unchanged']} unchanged, {s['merged']} merged, "
                        f"{s['withdrawn']} withdrawn, {s['rejected']} rejected"
                    )
                    for e in s["errors"]:
                        self.stdout.write(
                            f"  {s['file']}: record {e['record']} {e['local_id']}: {e['reason']}"
                        )
                if s.get("error"):
                    self.stderr.write(s["error"])
        if imported == 0:
            raise CommandError("Nothing could be imported.")
