"""Count collection overlap now (the nightly task evidence.take_overlap_snapshot)."""

from django.core.management.base import BaseCommand, CommandError

from evidence import overlap


class Command(BaseCommand):
    help = "Count collection overlap (unique titles, member pairs, single copies) into a new snapshot."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--timings", action="store_true", help="Print how long each statement took.")

    def handle(self, *args, **options) -> None:
        taken = overlap.take_snapshot()
        if taken is None:
            raise CommandError("Another collection overlap count is running; try again when it has finished.")
        snapshot = taken.snapshot
        self.stdout.write(
            f"Collection overlap counted in {snapshot.seconds:.1f} s: {snapshot.titles} titles held by"
            f" {snapshot.members} members, {snapshot.unique_titles} held by one member only,"
            f" {snapshot.single_copy_titles} with a single copy."
        )
        if options["timings"]:
            for name, seconds in taken.timings.items():
                self.stdout.write(f"  {name}: {seconds:.2f} s")
