"""Rebuild the spelling-suggestion vocabulary from the catalogue's search documents."""

from django.core.management.base import BaseCommand

from catalogue.search import refresh_vocabulary


class Command(BaseCommand):
    help = "Rebuild the vocabulary used for 'Did you mean' suggestions (ts_stat over search documents)."

    def handle(self, *args, **options):
        words = refresh_vocabulary()
        self.stdout.write(f"Search vocabulary rebuilt: {words} words.")
