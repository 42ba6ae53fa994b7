"""AE-ISR-DURATION as a periodic job: a site reaction open past 2 weeks alerts the care team once."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from doses.models import CareAlert, SideEffect
from reminders import tasks

pytestmark = pytest.mark.django_db


def site_reaction(patient, days_ago):
    return SideEffect.objects.create(
        patient=patient,
        symptom="site_redness",
        severity="mild",
        started_on=patient.local_today() - timedelta(days=days_ago),
        is_site_reaction=True,
    )


def test_AE_ISR_DURATION_job_flags_a_reaction_open_past_two_weeks_once(world):
    old = site_reaction(world.alice, 16)
    site_reaction(world.alice, 5)
    tasks.flag_persistent_site_reactions_task()
    tasks.flag_persistent_site_reactions_task()  # a second tick changes nothing
    alerts = CareAlert.objects.filter(kind=CareAlert.Kind.PERSISTENT_SITE_REACTION)
    assert [a.side_effect_id for a in alerts] == [old.pk]
    assert alerts.get().rule_id == "AE-ISR-DURATION"


def test_AE_ISR_DURATION_a_resolved_reaction_is_not_flagged(world):
    old = site_reaction(world.alice, 20)
    old.resolved_at = timezone.now()
    old.save()
    tasks.flag_persistent_site_reactions_task()
    assert not CareAlert.objects.exists()


def test_the_job_is_in_the_beat_schedule():
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "reminders.tasks.flag_persistent_site_reactions_task" in tasks_scheduled
