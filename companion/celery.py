"""The one Celery app. Tasks live in reminders/tasks.py and doses/tasks.py (the panel summary's
refresh after a write), found by autodiscover_tasks(); the schedule in settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "companion.settings")

app = Celery("companion")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
