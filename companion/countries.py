"""Countries: their names, and the country a time zone is in (the default for Patient.country).

Python's zoneinfo knows no countries, but the `tzdata` package (pinned in requirements.txt)
ships the tz database's own tables: `zone.tab` (each zone and the ISO 3166 country it is in),
`iso3166.tab` (the country names) and `tzdata.zi` (whose "L" lines are the links, such as
US/Eastern -> America/New_York). A zone that is in no country (UTC, Etc/GMT+5) has none.
"""

from __future__ import annotations

import functools
from importlib import resources


def _lines(name: str) -> list[str]:
    text = resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


# The tz database shortens a few names for its own tables; people choosing a country expect these.
_PLAIN_NAMES = {"GB": "United Kingdom"}


@functools.cache
def country_names() -> dict[str, str]:
    """ISO 3166 alpha-2 code -> the country's name, as the tz database writes it (but _PLAIN_NAMES)."""
    return {**dict(line.split("\t")[:2] for line in _lines("iso3166.tab")), **_PLAIN_NAMES}


@functools.cache
def _zone_countries() -> dict[str, str]:
    countries = {line.split("\t")[2]: line.split("\t")[0] for line in _lines("zone.tab")}
    for line in _lines("tzdata.zi"):
        if line.startswith("L "):  # "L <target> <link name>": a link is in its target's country
            _, target, link = line.split()
            if target in countries and link not in countries:
                countries[link] = countries[target]
    return countries


def country_for_time_zone(time_zone: str) -> str:
    """The ISO 3166 code of the country `time_zone` is in (Europe/London -> "GB"), or "" for none."""
    return _zone_countries().get(time_zone or "", "")


def country_choices() -> list[tuple[str, str]]:
    """For a select: every country by name."""
    return sorted(country_names().items(), key=lambda item: item[1])
