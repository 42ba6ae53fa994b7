"""Read-only queries for the staff status page."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.models import Count

from .models import Delivery, JobRun


def queue_depth() -> tuple[int | None, str]:
    """Messages waiting in the default Celery queue, and where that number comes from."""
    broker = settings.CELERY_BROKER_URL
    try:
        if broker.startswith("redis"):
            import redis

            client = redis.Redis.from_url(broker, socket_connect_timeout=1, socket_timeout=1)
            return client.llen("celery"), "Redis list “celery”"
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        return sum(1 for _ in folder.glob("*.msg")), f"files in {folder}"
    except Exception as exc:  # the broker is outside: report, never fail the page
        return None, f"broker unreachable ({exc.__class__.__name__})"


def status_overview() -> dict:
    depth, depth_source = queue_depth()
    counts = dict(Delivery.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {
        "queue_depth": depth,
        "queue_source": depth_source,
        "job_runs": list(JobRun.objects.order_by("name")),
        "last_tick": JobRun.objects.filter(name="dispatch_due_reminders").first(),
        "status_counts": [(label, counts.get(value, 0)) for value, label in Delivery.Status.choices],
        "failed": list(
            Delivery.objects.filter(status=Delivery.Status.FAILED)
            .select_related("patient", "recipient")
            .order_by("-created_at")[:50]
        ),
    }
