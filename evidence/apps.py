from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    """What the consortium shows of itself: the evidence for cooperation (joint collection
    development first: the check of a purchase list against the union catalogue)."""

    name = "evidence"
