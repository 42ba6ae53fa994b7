"""Plain words on the log form (issue 16): no rule ID in a sentence a patient, parent or caregiver
reads; the IDs and their sources are behind each "Why?" (<details class="why">)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from ..log_helpers import alice_in_new_york, log_data

pytestmark = pytest.mark.django_db

RULE_ID = re.compile(r"\b(?:DOSE|SCHED|MISS|SITE|PREP|SUPPLY|TRACE|STORE|AE|IX|PRE)-[A-Z0-9-]+\b")


class VisibleText(HTMLParser):
    """The page's text outside <details class="why">, <script> and <style> (attributes never count)."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.outside: list[str] = []
        self.inside_why: list[str] = []
        self._why_depth = 0
        self._skip = 0
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "details" and ("why" in classes or self._why_depth):
            self._why_depth += 1
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "details" and self._why_depth:
            self._why_depth -= 1
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if self._skip:
            return
        (self.inside_why if self._why_depth else self.outside).append(data)


def words(page: str) -> VisibleText:
    return VisibleText(page)


def test_the_log_form_says_no_rule_id_outside_why_and_keeps_them_inside(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 8, 10))
    page = client_for(world.alice_user).get(reverse("doses:log", args=[world.alice.pk])).content.decode()
    text = words(page)
    assert RULE_ID.findall(" ".join(text.outside)) == []
    inside = " ".join(text.inside_why)
    for rule_id in ["PREP-WARM", "PREP-24H", "PREP-LOOK", "PREP-ONCE", "SITE-VEIN", "SITE-ROTATE", "MISS-NODOUBLE"]:
        assert rule_id in inside


def test_MISS_NODOUBLE_a_form_sent_back_with_refusals_says_them_in_plain_words(world, client_for, monkeypatch):
    # 21:00: after today's cut-off; a back spot when injecting oneself; a "No" that means discard.
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 21, 0))
    data = log_data(world.alice, now, site_spot="buttock-left-1", prep_clear="no", prep_warm="__omit__")
    page = client_for(world.alice_user).post(reverse("doses:log", args=[world.alice.pk]), data).content.decode()
    text = words(page)
    assert RULE_ID.findall(" ".join(text.outside)) == []
    assert "Answer this check: Warmed to room temperature?" in " ".join(" ".join(text.outside).split())
    inside = " ".join(text.inside_why)
    for rule_id in ["MISS-NODOUBLE", "MISS-SKIP", "SITE-OTHER", "SITE-SELF", "PREP-LOOK"]:
        assert rule_id in inside


def test_MISS_NODOUBLE_done_for_today_says_no_rule_id_outside_why(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 8, 10))
    client = client_for(world.bob)
    client.post(reverse("doses:log", args=[world.alice.pk]), log_data(world.alice, now, injected_by="other"))
    page = client.get(reverse("doses:log", args=[world.alice.pk])).content.decode()
    text = words(page)
    assert "Done for today" in " ".join(text.outside)
    assert RULE_ID.findall(" ".join(text.outside)) == []
    assert "MISS-NODOUBLE" in " ".join(text.inside_why)
