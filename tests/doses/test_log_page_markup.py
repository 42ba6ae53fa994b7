"""The log page's markup, all in templates (log.html, and the hot partials in templates/jinja2/doses/
rendered by Django's Jinja2 backend): every radio has its label, `required`, the answer kept after an
error, the aria attributes that tie an error to its inputs, one id per element, hostile values escaped."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from doses import sites
from doses.rules import preparation

from .log_helpers import alice_in_new_york, log_data

pytestmark = pytest.mark.django_db

PREP_FIELDS = [f"prep_{check.key}" for check in preparation.PREP_CHECKS]


class Elements(HTMLParser):
    """Every start tag of a page as (tag, attributes), in order."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def radios(self, name: str) -> list[dict]:
        return [a for t, a in self.tags if t == "input" and a.get("type") == "radio" and a.get("name") == name]

    def ids(self) -> Counter:
        return Counter(a["id"] for _t, a in self.tags if a.get("id"))

    def label_fors(self) -> set[str]:
        return {a["for"] for t, a in self.tags if t == "label" and a.get("for")}

    def with_tag(self, tag: str) -> list[dict]:
        return [a for t, a in self.tags if t == tag]


def log_page(client, patient, data=None) -> Elements:
    url = reverse("doses:log", args=[patient.pk])
    response = client.post(url, data) if data is not None else client.get(url)
    assert response.status_code == 200
    return Elements(response.content.decode())


def test_every_radio_has_its_own_label_and_every_id_is_used_once(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 8, 10))
    page = log_page(client_for(world.alice_user), world.alice)
    assert [n for n, count in page.ids().items() if count > 1] == []
    radios = [a for t, a in page.tags if t == "input" and a.get("type") == "radio"]
    assert len(radios) == 2 + 2 * len(PREP_FIELDS) + len(sites.ALL_SPOTS)
    assert {a["id"] for a in radios} <= page.label_fors()


def test_the_options_are_required_and_the_patients_own_answer_is_preselected(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 8, 10))
    page = log_page(client_for(world.alice_user), world.alice)
    injected_by = page.radios("injected_by")
    assert [(a["id"], a["value"]) for a in injected_by] == [("id_injected_by_0", "self"), ("id_injected_by_1", "other")]
    assert [("checked" in a) for a in injected_by] == [True, False]  # "I injected myself" for the patient
    for name in ["injected_by", *PREP_FIELDS]:
        options = page.radios(name)
        assert [a["id"] for a in options] == [f"id_{name}_{n}" for n in range(len(options))]
        assert all("required" in a and "aria-invalid" not in a for a in options)
    labels = {a["for"]: a["class"] for a in page.with_tag("label")}
    assert labels["id_prep_warm_0"] == "choice-option prep-answer prep-answer-yes"
    assert labels["id_prep_warm_1"] == "choice-option prep-answer prep-answer-no"
    assert labels["id_injected_by_1"] == "choice-option"


def test_a_caregiver_sees_someone_else_preselected_and_the_back_suggestions(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 8, 10))
    page = log_page(client_for(world.bob), world.alice)
    assert ["checked" in a for a in page.radios("injected_by")] == [False, True]
    figures = {a["data-view"]: a["class"] for a in page.with_tag("figure")}
    assert figures == {"front": "body-figure body-figure-front", "back": "body-figure body-figure-back"}


def test_a_reshown_form_keeps_the_answers_and_ties_each_error_to_its_inputs(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 8, 10))
    data = log_data(
        world.alice, now, prep_warm="no", prep_clear="__omit__", injected_by="__omit__", site_spot="__omit__"
    )
    page = log_page(client_for(world.alice_user), world.alice, data)
    ids = page.ids()
    assert all(a.get("aria-invalid") == "true" for a in page.radios("injected_by"))
    assert all(a.get("aria-invalid") == "true" for a in page.radios("prep_clear"))
    assert "aria-invalid" not in page.radios("prep_unused")[0]
    # The answer given is kept: "No" to the warm-up check.
    assert ["checked" in a for a in page.radios("prep_warm")] == [False, True]
    assert ["checked" in a for a in page.radios("prep_unused")] == [True, False]
    # Every spot points to the one message that says what is wrong.
    spots = page.radios("site_spot")
    assert len(spots) == len(sites.ALL_SPOTS)
    assert all(a.get("aria-invalid") == "true" and a.get("aria-describedby") == "site-errors" for a in spots)
    assert not any("checked" in a for a in spots)
    assert ids["site-errors"] == 1
    # Each check's fieldset names its own error message, which exists.
    described = [
        a.get("aria-describedby") for a in page.with_tag("fieldset") if "prep-check" in a.get("class", "").split()
    ]
    assert described.count("id_prep_clear-error") == 1 and ids["id_prep_clear-error"] == 1


def test_hostile_posted_values_are_escaped(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 8, 10))
    url = reverse("doses:log", args=[world.alice.pk])
    hostile = '"><script>alert(1)</script>'
    response = client_for(world.alice_user).post(
        url, log_data(world.alice, now, injected_by=hostile, site_spot=hostile)
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>alert(1)" not in page
    parsed = Elements(page)
    assert not any("checked" in a for a in parsed.radios("injected_by") + parsed.radios("site_spot"))


def test_the_drawing_shares_one_outline_and_has_a_spot_for_each_radio(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 8, 10))
    page = log_page(client_for(world.alice_user), world.alice)
    assert [a["id"] for a in page.with_tag("symbol")] == ["body-outline"]
    assert [a["href"] for a in page.with_tag("use")] == ["#body-outline", "#body-outline"]
    drawn = [a["data-spot"] for a in page.with_tag("g") if "map-spot" in a.get("class", "")]
    assert sorted(drawn) == sorted(sites.ALL_SPOTS)
    # body_map.js finds a drawn spot's input as "spot-" + data-spot.
    assert {f"spot-{code}" for code in drawn} == {a["id"] for a in page.radios("site_spot")}
    selected = [a for a in page.with_tag("g") if "is-selected" in a.get("class", "")]
    checked = [a["value"] for a in page.radios("site_spot") if "checked" in a]
    assert [a["data-spot"] for a in selected] == checked and len(checked) == 1
