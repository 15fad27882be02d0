"""Load the demo consortium. Idempotent: a second run changes nothing."""

from django.apps import apps
from django.core.management.base import BaseCommand

from members.demo import DEMO_PASSWORD, demo_logins, seed_members

# Apps contribute demo data through a `demo.seed()` function, run in this order.
SEED_ORDER = ["catalogue", "policies", "ill", "evidence"]


class Command(BaseCommand):
    help = "Create the demo consortium (libraries, accounts and, where built, catalogue, policies, ILL)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, **options) -> None:
        counts = {"members": seed_members()}
        for label in SEED_ORDER:
            module = f"{apps.get_app_config(label).name}.demo"
            try:
                demo = __import__(module, fromlist=["seed"])
            except ModuleNotFoundError as exc:
                if exc.name != module:
                    raise
                continue
            counts[label] = demo.seed()
        for part, numbers in counts.items():
            self.stdout.write(f"{part}: " + ", ".join(f"{k} created {v}" for k, v in numbers.items()))
        if not options["quiet_logins"]:
            self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
            for username, what in demo_logins():
                self.stdout.write(f"  {username:<18} {what}")
