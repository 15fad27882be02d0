from django.apps import AppConfig


class IllConfig(AppConfig):
    name = "ill"
