"""Build the search index (tantivy) from PostgreSQL beside the one in use, then swap them."""

from django.core.management.base import BaseCommand

from catalogue.search import outbox


class Command(BaseCommand):
    help = (
        "Build the tantivy search index from the catalogue in PostgreSQL, beside the index in use "
        "(searches go on meanwhile), swap them, and keep it following the catalogue from then on. "
        "Run it before setting SEARCH_BACKEND=tantivy, and whenever the index is lost."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only compare the index with the catalogue and queue what differs.",
        )

    def handle(self, *args, **options) -> None:
        if options["check"]:
            found = outbox.check()
            self.stdout.write(
                f"Search index checked: {found} records out of step, queued to be indexed again."
            )
            return
        done = outbox.reindex(stdout=self.stdout)
        self.stdout.write(
            f"Search index built: {done['documents']:,} records in {done['seconds']:.1f} s ({done['path']}); "
            "changes from now on reach it through the outbox."
        )
