"""A NUL character in the path, the query string or a header is answered with a 400 before any view runs.

PostgreSQL cannot store or compare text that contains NUL (psycopg refuses the query:
"PostgreSQL text fields cannot contain NUL (0x00) bytes"), so a token in the URL
(/feeds/%00.ics, /unsubscribe/%00/) or a search (/panel/?q=%00) that reached a query was
a 500 there, while SQLite answered. Django's form CharFields already refuse NUL
(ProhibitNullCharactersValidator), but URL kwargs and GET parameters that a view reads
without a form do not. No link of ours and no browser sends a NUL, so one check here covers
every view, today's and tomorrow's.

A cookie is different: a browser may keep one that holds a NUL (sent as "\\000", a NUL once
parsed), and a session key with a NUL would reach the database. Such a cookie is treated as
never sent (IgnoreNullCookiesMiddleware, before the session middleware): a NUL session
cookie is no session, signed out, and the browser is told to forget it.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render

NUL = "\x00"


def _has_nul(request) -> bool:
    if NUL in request.path_info or NUL in request.path:
        return True
    if any(NUL in key or any(NUL in value for value in values) for key, values in request.GET.lists()):
        return True
    # A header reaches the database too (the user agent of a failed sign-in is stored).
    return any(NUL in str(value) for key, value in request.META.items() if key.startswith("HTTP_"))


class RefuseNullCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            return render(
                request,
                "400.html",
                {"reason": "It contains a NUL character (%00), which no link or page of this app sends."},
                status=400,
            )
        return self.get_response(request)


class IgnoreNullCookiesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = [name for name, value in request.COOKIES.items() if NUL in name or NUL in value]
        for name in refused:
            del request.COOKIES[name]
        response = self.get_response(request)
        if settings.SESSION_COOKIE_NAME in refused and settings.SESSION_COOKIE_NAME not in response.cookies:
            # What Django's session middleware does for a session cookie that names no session.
            response.delete_cookie(
                settings.SESSION_COOKIE_NAME,
                path=settings.SESSION_COOKIE_PATH,
                domain=settings.SESSION_COOKIE_DOMAIN,
                samesite=settings.SESSION_COOKIE_SAMESITE,
            )
        return response
