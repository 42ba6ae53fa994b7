"""Response headers that keep health data out of caches.

Every page and export of this app can carry health data (a dose, a symptom, a name), and
the phones it is used on are shared by families. So every response a view produces is
`Cache-Control: no-store, private`: no browser back-forward cache, disk cache or proxy
keeps a copy. Static files are answered earlier by whitenoise (this middleware sits after
it), so they keep their long-lived caching.
"""

from __future__ import annotations

from django.utils.cache import patch_cache_control


class PrivateResponseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_cache_control(response, no_store=True, private=True)
        return response
