"""A version per patient's record: the key of the patient page's cached fragments.

The calendar, the weekly chart and the record's tables of the patient page and the
printed report are cached (Django's `{% cache %}` tag, on the default cache: Redis when
REDIS_URL is set, local memory otherwise) under a key that holds this version, so a
page is never stale: every write to the record gives the patient a new version, and the
next view renders afresh. The version is a random token, not a counter, so a version
evicted from the cache never comes back with old fragments behind it.

Writes are seen two ways: the post_save / post_delete signals of the record's models
(connected in `DosesConfig.ready`), and `record_changed(...)` for the bulk writes
that send no signal (`QuerySet.update`, `bulk_create`: the jobs that mark doses missed
or held, slot materialisation, and the services through
`refresh_adherence_summary_on_commit`). Each bumps at once and again when the
transaction commits: a page read between the two (seeing the data before the commit)
is cached under a version the commit replaces.

The clinician panel has one version of its own (`panel_current`), for every clinician: its
rows are the patients' summary rows, so it changes with every write to a summary row
(marked stale by a write, refreshed by the worker, the periodic job or the panel itself:
`record_changed(..., panel=True)` and `panel_changed`), to a patient's profile (name, date
of birth, indication: the Patient signals). Who is in a clinician's panel is not versioned:
it is read on every look (selectors.panel.panel_members_key) and is part of the panel's
cache key, so a circle changed in any way shows at once. A write to the record that leaves
the summary alone leaves the panel cached.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

FRAGMENT_SECONDS = 2 * 24 * 3600  # the key also holds the patient's "today": older fragments are garbage
# What is stored under a key holding a version goes to this cache alias (the {% cache %} tag's
# own): each process's memory in front of the shared cache (companion/cache.py). The versions
# themselves stay in the shared default cache, so every process sees a write at once.
FRAGMENT_CACHE = "template_fragments"
_KEY = "doses:record-version:{}"
_PANEL_KEY = "doses:panel-version"


def _key(patient_id: int) -> str:
    return _KEY.format(patient_id)


def current(patient_id: int) -> str:
    """The patient's record version (a new one if the cache has none)."""
    return _current(_key(patient_id))


def panel_current() -> str:
    """The panel's version (a new one if the cache has none)."""
    return _current(_PANEL_KEY)


def current_and_panel(patient_id: int) -> tuple[str, str]:
    """The patient's record version and the panel's, in one cache read."""
    keys = [_key(patient_id), _PANEL_KEY]
    found = cache.get_many(keys)
    record, panel = (found.get(key) or _current(key) for key in keys)
    return record, panel


def _current(key: str) -> str:
    version = cache.get(key)
    if version is None:
        version = uuid.uuid4().hex
        if not cache.add(key, version, timeout=None):  # another request made one first: use theirs
            version = cache.get(key) or version
    return version


def _bump(patient_ids: Iterable[int], panel: bool) -> None:
    versions = {_key(pk): uuid.uuid4().hex for pk in set(patient_ids)}
    if panel:
        versions[_PANEL_KEY] = uuid.uuid4().hex
    cache.set_many(versions, timeout=None)  # one round trip, the panel's version with the records'


def record_changed(patient_ids: Iterable[int], *, panel: bool = False) -> None:
    """The records of these patients changed: their pages render afresh, now and after the commit.
    With `panel`, what the clinician panel shows of them changed too (their summary rows)."""
    ids = {pk for pk in patient_ids if pk is not None}
    if not ids and not panel:
        return
    _bump(ids, panel)
    transaction.on_commit(lambda: _bump(ids, panel), robust=True)


def panel_changed() -> None:
    """Summary rows or panel memberships changed: every clinician's panel renders afresh."""
    record_changed([], panel=True)


def on_record_saved_or_deleted(sender, instance, **kwargs) -> None:
    """post_save / post_delete of a model of the record (and of Patient itself: name, zone,
    weight; its name, birth date and indication are on the panel's rows too)."""
    if sender._meta.label == "companion.Patient":
        record_changed([instance.pk], panel=True)
        return
    record_changed([getattr(instance, "patient_id", None)])
