"""The log form's radio options, built in Python (doses/templatetags/choice_labels.py), are
exactly the markup Django's widget templates give: ids, `checked`, `required`, and the
aria attributes for errors, for an empty form, a re-shown form with errors, and hostile
values."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse

from .log_helpers import alice_in_new_york, log_data

pytestmark = pytest.mark.django_db

LOOP = Template(
    '{% for choice in field %}<label class="{{ css }}{% if per_value %}{{ choice.data.value }}{% endif %}" '
    'for="{{ choice.id_for_label }}">{{ choice.tag }} {{ choice.choice_label }}</label>{% endfor %}'
)
FILTER = Template("{% load choice_labels %}{{ field|choice_labels:css }}")


def both(field, css: str, per_value: bool = False) -> tuple[str, str]:
    """(the template loop's markup, the filter's markup) for one bound radio field."""
    loop = LOOP.render(Context({"field": field, "css": css, "per_value": per_value}))
    built = FILTER.render(Context({"field": field, "css": css + ("{value}" if per_value else "")}))
    return loop, built


def log_form(client, patient, data=None):
    url = reverse("doses:log", args=[patient.pk])
    response = client.post(url, data) if data is not None else client.get(url)
    assert response.status_code == 200
    return response.context["form"]


def test_empty_form_options_match_the_widget_templates(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 8, 10))
    form = log_form(client_for(world.alice_user), world.alice)
    loop, built = both(form["injected_by"], "choice-option")
    assert built == loop
    assert "checked" in built  # "I injected myself" is preselected for the patient
    for _check, field in form.prep_fields:
        loop, built = both(field, "choice-option prep-answer prep-answer-", per_value=True)
        assert built == loop
        assert f'id="{field.auto_id}_0"' in built and "required" in built


def test_reshown_form_with_errors_keeps_answers_and_aria_attributes(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 8, 10))
    data = log_data(world.alice, now, prep_warm="no", prep_clear="__omit__", injected_by="__omit__")
    form = log_form(client_for(world.alice_user), world.alice, data)
    assert form.errors
    loop, built = both(form["injected_by"], "choice-option")
    assert built == loop and 'aria-invalid="true"' in built
    for _check, field in form.prep_fields:
        loop, built = both(field, "choice-option prep-answer prep-answer-", per_value=True)
        assert built == loop
    warm = {check.key: field for check, field in form.prep_fields}["warm"]
    no_option = next(tag for tag in both(warm, "choice-option")[1].split("<input")[1:] if 'value="no"' in tag)
    assert " checked>" in no_option  # the answer typed is kept


def test_hostile_posted_values_are_escaped_as_the_templates_escape_them(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 25, 8, 10))
    data = log_data(world.alice, now, injected_by='"><script>alert(1)</script>')
    form = log_form(client_for(world.alice_user), world.alice, data)
    loop, built = both(form["injected_by"], "choice-option")
    assert built == loop
    assert "<script>" not in built
