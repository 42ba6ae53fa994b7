"""The time-zone picker's choices: the zones people using this app most likely live in, then the rest.

Six hundred names in alphabetical order put London near "Europe/Lisbon" and Toronto after
"America/Thunder_Bay" (issue 16, point 8). The browser's own zone goes first on the page
(static/js/time_zone.js); on the server the order is: the common zones below, by country,
then every other zone alphabetically. The values stay IANA names (SCHED-TZ).
"""

from __future__ import annotations

import zoneinfo

# (zone, label): English-speaking countries first, then the main cities of the EU and Europe.
COMMON_ZONES: list[tuple[str, str]] = [
    ("Europe/London", "United Kingdom (London)"),
    ("Europe/Dublin", "Ireland (Dublin)"),
    ("America/New_York", "United States, Eastern (New York)"),
    ("America/Chicago", "United States, Central (Chicago)"),
    ("America/Denver", "United States, Mountain (Denver)"),
    ("America/Phoenix", "United States, Arizona (Phoenix)"),
    ("America/Los_Angeles", "United States, Pacific (Los Angeles)"),
    ("America/Anchorage", "United States, Alaska (Anchorage)"),
    ("Pacific/Honolulu", "United States, Hawaii (Honolulu)"),
    ("America/St_Johns", "Canada, Newfoundland (St. John's)"),
    ("America/Halifax", "Canada, Atlantic (Halifax)"),
    ("America/Toronto", "Canada, Eastern (Toronto)"),
    ("America/Winnipeg", "Canada, Central (Winnipeg)"),
    ("America/Regina", "Canada, Saskatchewan (Regina)"),
    ("America/Edmonton", "Canada, Mountain (Edmonton)"),
    ("America/Vancouver", "Canada, Pacific (Vancouver)"),
    ("Australia/Sydney", "Australia, New South Wales (Sydney)"),
    ("Australia/Melbourne", "Australia, Victoria (Melbourne)"),
    ("Australia/Brisbane", "Australia, Queensland (Brisbane)"),
    ("Australia/Adelaide", "Australia, South Australia (Adelaide)"),
    ("Australia/Perth", "Australia, Western Australia (Perth)"),
    ("Australia/Hobart", "Australia, Tasmania (Hobart)"),
    ("Australia/Darwin", "Australia, Northern Territory (Darwin)"),
    ("Pacific/Auckland", "New Zealand (Auckland)"),
    ("Europe/Paris", "France (Paris)"),
    ("Europe/Berlin", "Germany (Berlin)"),
    ("Europe/Madrid", "Spain (Madrid)"),
    ("Europe/Rome", "Italy (Rome)"),
    ("Europe/Amsterdam", "Netherlands (Amsterdam)"),
    ("Europe/Brussels", "Belgium (Brussels)"),
    ("Europe/Luxembourg", "Luxembourg"),
    ("Europe/Lisbon", "Portugal (Lisbon)"),
    ("Europe/Vienna", "Austria (Vienna)"),
    ("Europe/Zurich", "Switzerland (Zurich)"),
    ("Europe/Copenhagen", "Denmark (Copenhagen)"),
    ("Europe/Stockholm", "Sweden (Stockholm)"),
    ("Europe/Oslo", "Norway (Oslo)"),
    ("Europe/Helsinki", "Finland (Helsinki)"),
    ("Europe/Warsaw", "Poland (Warsaw)"),
    ("Europe/Prague", "Czechia (Prague)"),
    ("Europe/Budapest", "Hungary (Budapest)"),
    ("Europe/Athens", "Greece (Athens)"),
    ("Europe/Bucharest", "Romania (Bucharest)"),
    ("Europe/Malta", "Malta"),
    ("Asia/Nicosia", "Cyprus (Nicosia)"),
]

COMMON_GROUP = "Common time zones"
OTHER_GROUP = "All other time zones"


def all_zone_names() -> list[str]:
    """Every IANA region/city zone (no bare "UTC" or legacy "EST"), alphabetically."""
    return sorted(z for z in zoneinfo.available_timezones() if "/" in z)


def time_zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices (rendered as <optgroup>): the common zones, then all the others."""
    common = {zone for zone, _ in COMMON_ZONES}
    others = [(zone, zone.replace("_", " ")) for zone in all_zone_names() if zone not in common]
    return [(COMMON_GROUP, list(COMMON_ZONES)), (OTHER_GROUP, others)]
