"""The Jinja2 environment of the hot partials (settings TEMPLATES "jinja2"): Jinja2's own,
with Django's `url` as in `{% url %}` and Django's own `date` and `pluralize` filters, so a
partial links and writes dates and plurals the way a Django template does. (Django's
templates show an aware datetime in the active zone first; a partial says which zone:
`value.astimezone(zone)|date("j M Y")`.)"""

from __future__ import annotations

from django.template import defaultfilters
from django.urls import reverse
from jinja2 import Environment


def url(name: str, *args) -> str:
    return reverse(name, args=args)


def environment(**options) -> Environment:
    env = Environment(**options)
    env.globals["url"] = url
    env.filters["date"] = defaultfilters.date
    env.filters["pluralize"] = defaultfilters.pluralize
    return env
