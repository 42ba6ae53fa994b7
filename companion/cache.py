"""Two cache backends for the pages that are read far more often than they change.

- `RedisCache`: Django's Redis backend with one `redis.Redis` client per connection pool,
  made once. Django's own client builds a new `redis.Redis` for every call (about 170
  response callbacks copied each time, some 0.2 ms); the client is thread-safe and only
  holds the pool, so one per pool is what redis-py recommends.
- `LocalFirstCache` (the `template_fragments` cache): a bounded memory cache in each
  process in front of the shared cache, for values stored under a key that names their
  content. The patient page's and the panel's fragments are keyed on a version that is a
  random token, replaced by every write (doses/record_version.py): a key is never reused for
  other content, so a copy kept in one process can never be stale, and a second look at a
  page costs no network read of a fragment (a year's record is several hundred kB).
  The versions themselves are never stored here: they live in the shared cache, which every
  process (web, worker, beat) reads, so a write in one process is seen by all at once.
"""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _ReusedClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache, with its `redis.Redis` client made once per pool."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusedClient


class LocalFirstCache(BaseCache):
    """This process's memory first, then the shared cache (`OPTIONS["SHARED"]`, "default").

    Only for keys that name their content (they hold a version token): a value is never
    replaced under the same key, so the local copy needs no invalidation. Bounded by
    `MAX_ENTRIES` (least recently used out first), as Django's local-memory cache is.
    """

    def __init__(self, location, params):
        options = dict(params.get("OPTIONS") or {})
        self._shared_alias = options.pop("SHARED", "default")
        super().__init__({**params, "OPTIONS": options})
        self._local = LocMemCache(
            location or "local-first",
            {"TIMEOUT": params.get("TIMEOUT", 300), "OPTIONS": {"MAX_ENTRIES": options.get("MAX_ENTRIES", 300)}},
        )

    @property
    def _shared(self) -> BaseCache:
        return caches[self._shared_alias]

    def get(self, key, default=None, version=None):
        found = self._local.get(key, _MISSING, version=version)
        if found is not _MISSING:
            return found
        found = self._shared.get(key, _MISSING, version=version)
        if found is _MISSING:
            return default
        self._local.set(key, found, version=version)
        return found

    def get_many(self, keys, version=None):
        keys = list(keys)
        found = self._local.get_many(keys, version=version)
        missing = [key for key in keys if key not in found]
        if missing:
            shared = self._shared.get_many(missing, version=version)
            if shared:
                self._local.set_many(shared, version=version)
            found.update(shared)
        return found

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._shared.set(key, value, timeout=timeout, version=version)
        self._local.set(key, value, timeout=timeout, version=version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        added = self._shared.add(key, value, timeout=timeout, version=version)
        if added:
            self._local.set(key, value, timeout=timeout, version=version)
        return added

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        failed = self._shared.set_many(data, timeout=timeout, version=version)
        self._local.set_many({k: v for k, v in data.items() if k not in failed}, timeout=timeout, version=version)
        return failed

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        self._local.touch(key, timeout=timeout, version=version)
        return self._shared.touch(key, timeout=timeout, version=version)

    def delete(self, key, version=None):
        self._local.delete(key, version=version)
        return self._shared.delete(key, version=version)

    def has_key(self, key, version=None):
        return self._local.has_key(key, version=version) or self._shared.has_key(key, version=version)

    def clear(self):
        """This process's copies only: the shared cache is cleared by clearing it (it is shared
        with the versions, the sessions' throttle and the broker's Redis database)."""
        self._local.clear()


_MISSING = object()
