"""Thin Celery task for search maintenance."""

from celery import shared_task

from catalogue.search import refresh_vocabulary


@shared_task(name="catalogue.refresh_search_vocabulary", time_limit=1800, soft_time_limit=1700)
def refresh_search_vocabulary_task() -> int:
    """Rebuild the suggestion vocabulary (ts_stat over every search document)."""
    return refresh_vocabulary()
