"""The Celery application; periodic schedules live in consortium/schedules.py."""

import os

from celery import Celery

from consortium.heartbeat import WorkerHeartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consortium.settings.local")

# DjangoTask gives every task delay_on_commit(), so nothing is queued inside a transaction.
app = Celery("consortium", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Search maintenance lives beside the catalogue's import tasks, in its own module.
app.autodiscover_tasks(related_name="tasks_search")
# /healthz reads this heartbeat instead of pinging the workers.
app.steps["consumer"].add(WorkerHeartbeat)


@app.on_after_finalize.connect
def _install_schedules(sender: Celery, **kwargs: object) -> None:
    from consortium.schedules import BEAT_SCHEDULE

    sender.conf.beat_schedule = BEAT_SCHEDULE
