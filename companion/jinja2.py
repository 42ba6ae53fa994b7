"""The Jinja2 environment of the hot partials (settings TEMPLATES "jinja2"): Jinja2's own,
with Django's `url` as in `{% url %}`, so a partial links the way a Django template does."""

from __future__ import annotations

from django.urls import reverse
from jinja2 import Environment


def url(name: str, *args) -> str:
    return reverse(name, args=args)


def environment(**options) -> Environment:
    env = Environment(**options)
    env.globals["url"] = url
    return env
