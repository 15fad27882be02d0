"""Thin Celery task for search maintenance."""

from celery import shared_task

from catalogue.search import refresh_vocabulary


@shared_task(name="catalogue.refresh_search_vocabulary", time_limit=1800, soft_time_limit=1700)
def refresh_search_vocabulary_task() -> int:
    """Rebuild the suggestion vocabulary (ts_stat over every search document)."""
    return refresh_vocabulary()


@shared_task(name="catalogue.apply_search_outbox", time_limit=3600, soft_time_limit=3500, ignore_result=True)
def apply_search_outbox() -> int | None:
    """Bring the search index up to the catalogue's last commit (catalogue.search.outbox)."""
    from catalogue.search import outbox

    return outbox.apply()


@shared_task(name="catalogue.check_search_index", time_limit=3600, soft_time_limit=3500)
def check_search_index() -> int:
    """Queue again every record the search index and the catalogue disagree about."""
    from catalogue.search import outbox

    return outbox.check()
