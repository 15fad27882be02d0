from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members and people")

    def ready(self) -> None:
        from django.apps import apps

        from members import schema  # noqa: F401 - registers the API token with drf-spectacular
        from members.permissions import collect_rules

        # Every installed app's rules.py, once all models are loaded (ready() runs after).
        collect_rules(app.name for app in apps.get_app_configs())
