"""Match every source record again (after matching rules change); decisions are kept."""

from django.core.management.base import BaseCommand

from catalogue.services import catalogue_rematch


class Command(BaseCommand):
    help = (
        "Re-derive merged records from the source records; cataloguers' split/merge decisions are honoured."
    )

    def handle(self, *args, **options) -> None:
        result = catalogue_rematch()
        self.stdout.write(f"{result['moved']} source records moved; {result['records']} merged records.")
