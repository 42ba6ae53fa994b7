"""The caches behind the patient page and the panel (companion/cache.py).

A second look at a page is served from this process's memory, and a write in any process
(a worker marking a dose missed, another web process logging one) shows on the next look,
because the record's version lives only in the shared cache.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.core.cache import caches
from django.urls import reverse

from companion.cache import LocalFirstCache, RedisCache
from doses import record_version
from doses.models import Severity, SideEffect
from tests.doses.dashboard_history import build_history


def _page(client, patient) -> str:
    response = client.get(reverse("doses:patient", args=[patient.pk]))
    assert response.status_code == 200
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def test_a_fragment_read_once_is_kept_in_this_process_after_the_shared_copy_is_gone():
    fragments = caches[record_version.FRAGMENT_CACHE]
    assert isinstance(fragments, LocalFirstCache)
    caches["default"].set("test:fragment:v1", "<p>a year of doses</p>", timeout=60)
    assert fragments.get("test:fragment:v1") == "<p>a year of doses</p>"  # from the shared cache
    caches["default"].delete("test:fragment:v1")
    assert fragments.get("test:fragment:v1") == "<p>a year of doses</p>"  # from memory: no network read
    assert fragments.get_many(["test:fragment:v1", "test:fragment:v2"]) == {"test:fragment:v1": "<p>a year of doses</p>"}


def test_a_fragment_written_here_is_in_the_shared_cache_for_the_other_processes():
    fragments = caches[record_version.FRAGMENT_CACHE]
    fragments.set_many({"test:fragment:a": 1, "test:fragment:b": "two"}, timeout=60)
    fragments.set("test:fragment:c", [3], timeout=60)
    assert caches["default"].get_many(["test:fragment:a", "test:fragment:b", "test:fragment:c"]) == {
        "test:fragment:a": 1,
        "test:fragment:b": "two",
        "test:fragment:c": [3],
    }
    fragments.delete("test:fragment:c")
    assert fragments.get("test:fragment:c") is None and caches["default"].get("test:fragment:c") is None


def test_a_write_made_in_another_process_shows_on_the_next_look_at_the_patient_page(world, client_for):
    build_history(world.alice, world.carol, days=20)
    client = client_for(world.carol)
    before = _page(client, world.alice)
    assert _page(client, world.alice) == before  # the second look comes from the fragments
    # Another process (a worker, a second web process) records a side effect: its bump of the
    # version reaches this process through the shared cache only.
    SideEffect.objects.bulk_create(
        [
            SideEffect(
                patient=world.alice,
                symptom="other",
                description="Tingling toes",
                severity=Severity.MILD,
                started_on=world.alice.local_today() - timedelta(days=1),
                logged_by=world.alice.account,
            )
        ]
    )
    record_version.record_changed([world.alice.pk])  # what such a bulk write calls: the shared cache only
    after = _page(client, world.alice)
    assert after != before
    assert "Tingling toes" in after and "Tingling toes" not in before


def test_the_redis_cache_reuses_one_client_and_still_reads_and_writes(redis_url):
    cache = RedisCache(redis_url, {})
    cache.set("test:redis:one", {"mg": 100}, timeout=30)
    cache.set_many({"test:redis:two": 2, "test:redis:three": "3"}, timeout=30)
    assert cache.get("test:redis:one") == {"mg": 100}
    assert cache.get_many(["test:redis:one", "test:redis:two", "test:redis:three"]) == {
        "test:redis:one": {"mg": 100},
        "test:redis:two": 2,
        "test:redis:three": "3",
    }
    assert cache.add("test:redis:one", "again") is False
    assert cache.incr("test:redis:two") == 3
    assert cache.delete("test:redis:one") and cache.get("test:redis:one") is None
    assert cache._cache.get_client() is cache._cache.get_client(write=True)
    cache.delete_many(["test:redis:two", "test:redis:three"])
