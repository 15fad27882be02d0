"""Every periodic job, in one place, with why it runs when it does."""

from datetime import timedelta

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Outbox sweep: a message whose task was lost (broker restart, worker killed) is
    # re-queued. Every 5 minutes keeps a stuck notice's delay short without load.
    "members.outbox_sweep": {
        "task": "members.outbox_sweep",
        "schedule": crontab(minute="*/5"),
    },
    # Imports whose worker died (killed, out of memory, machine restarted) are queued again
    # and go on after their last committed batch. A running import refreshes its job's
    # heartbeat every 30 s (IMPORT_HEARTBEAT_SECONDS); a heartbeat older than 5 minutes
    # (IMPORT_STALE_AFTER_SECONDS: ten missed beats, so a database restart or a paused
    # machine does not pass for a death; and a job whose run still holds its lock is never
    # queued twice) means the worker is gone. Swept every minute, a dead import resumes
    # within about 6 minutes instead of waiting out the broker's one-hour visibility
    # timeout; the sweep is one indexed query on a handful of rows.
    "catalogue.resume_stale_imports": {
        "task": "catalogue.resume_stale_imports",
        "schedule": crontab(minute="*"),
    },
    # Agreements whose validity ended yesterday (Pakistan time) are marked expired just
    # after midnight PKT. Routing already ignores them by date (policies.terms); this only
    # makes the status shown to people agree, so a few minutes' lag is harmless.
    "policies.expire_agreements": {
        "task": "policies.expire_agreements",
        "schedule": crontab(hour=0, minute=5),
    },
    # Spelling-suggestion vocabulary: every import adds its records' words as it ends
    # (catalogue.search.vocabulary_learn); this exact recount corrects the counts and drops
    # words no record has any more. ts_stat reads every search document (about a minute at
    # 1M records), so nightly at 02:30 Pakistan time, when nobody is searching.
    "catalogue.refresh_search_vocabulary": {
        "task": "catalogue.refresh_search_vocabulary",
        "schedule": crontab(hour=2, minute=30),
    },
    # Facet counts for browsing are kept by triggers; this recount is the check that no
    # writer bypassed them (and the repair if one did). It holds catalogue writes for about
    # 6 s at 1M records, so at 02:45 Pakistan time, after the vocabulary and before the
    # libraries' morning uploads.
    "catalogue.recount_facets": {
        "task": "catalogue.recount_facets",
        "schedule": crontab(hour=2, minute=45),
    },
    # The search index (when a backend keeps one, catalogue.search.outbox) takes the
    # catalogue's changes every 2 seconds: an import batch is searchable within about 5 s of
    # its commit. The task is one query when nothing changed, or when the outbox is off
    # (PostgreSQL backend); a run that finds the writer busy returns at once, and runs not
    # started within 2 s are dropped rather than queued behind a long import.
    "catalogue.apply_search_outbox": {
        "task": "catalogue.apply_search_outbox",
        "schedule": timedelta(seconds=2),
        "options": {"expires": 2},
    },
    # The check that the index holds exactly the catalogue's records (and the repair if a
    # change was lost, e.g. an index restored from a backup): nightly at 04:00, after the
    # catalogue's and the ILL figures' jobs.
    "catalogue.check_search_index": {
        "task": "catalogue.check_search_index",
        "schedule": crontab(hour=4, minute=0),
    },
    # ILL deadlines count in working days and end at 23:59 PKT; checking every 5 minutes
    # moves a request on within minutes of its deadline (ReShare checks every 15).
    "ill.check_deadlines": {
        "task": "ill.check_deadlines",
        "schedule": crontab(minute="*/5"),
    },
    # ILL report figures by day (ill.day_figures): the days something happened to are
    # recounted every 5 minutes (and before each report page), a few indexed queries; the
    # whole history nightly at 03:15 Pakistan time, after the catalogue's jobs, which is
    # the check that nothing was missed and brings holiday corrections into working days.
    "ill.refresh_day_figures": {
        "task": "ill.refresh_day_figures",
        "schedule": crontab(minute="*/5"),
    },
    "ill.rebuild_day_figures": {
        "task": "ill.rebuild_day_figures",
        "schedule": crontab(hour=3, minute=15),
    },
    # Collection overlap (evidence.overlap): a count of the whole catalogue into a new
    # snapshot, about half a minute at 1,000,000 records and 2,600,000 holdings
    # (docs/performance.md). Nightly at 03:45 Pakistan time, after the catalogue's jobs
    # and the ILL figures' rebuild at 03:15, so the two big reads do not overlap.
    "evidence.take_overlap_snapshot": {
        "task": "evidence.take_overlap_snapshot",
        "schedule": crontab(hour=3, minute=45),
    },
    # Loans become overdue the day after their due date; every 5 minutes as the brief
    # asks, cheap (an indexed query on status and due date).
    "ill.mark_overdue": {
        "task": "ill.mark_overdue",
        "schedule": crontab(minute="*/5"),
    },
    # Reminders once a day at 09:00 Pakistan time, when patrons read mail; dedup keys
    # make a second run harmless.
    "ill.due_soon_reminders": {
        "task": "ill.due_soon_reminders",
        "schedule": crontab(minute=0, hour=9),
    },
}
