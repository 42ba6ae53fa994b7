"""`{{ field|choice_labels:"css classes" }}`: a radio field's options as `<label><input> text</label>`.

The same markup as the template loop

    {% for choice in field %}<label class="…" for="{{ choice.id_for_label }}">{{ choice.tag }} {{ choice.choice_label }}</label>{% endfor %}

built in Python. The log form has about twenty such options (who injected, and two or
three answers to each pre-injection check); rendering each `choice.tag` through Django's
widget templates was a sixth of the log page's server time. The attributes come from the
widget itself (id, checked, required, aria-invalid, aria-describedby), so nothing is lost
for screen readers; tests/doses/test_choice_labels.py compares the output with the loop's.

In the class string, `{value}` is replaced by each option's value (e.g. a class per answer).
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _attrs(attrs: dict) -> SafeString:
    """django/forms/widgets/attrs.html: False is left out, True is a bare attribute."""
    parts = [
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        for name, value in attrs.items()
        if value is not False
    ]
    return mark_safe("".join(parts))


def _input(data: dict) -> SafeString:
    """django/forms/widgets/input.html for one option (radio_option.html without a wrapping label)."""
    value = "" if data["value"] is None else format_html(' value="{}"', data["value"])
    return format_html('<input type="{}" name="{}"{}{}>', data["type"], data["name"], value, _attrs(data["attrs"]))


@register.filter
def choice_labels(field, css_class: str = "") -> SafeString:
    labels = []
    for choice in field:
        data = choice.data
        labels.append(
            format_html(
                '<label class="{}" for="{}">{} {}</label>',
                css_class.replace("{value}", str(data["value"])),
                choice.id_for_label,
                _input(data),
                choice.choice_label,
            )
        )
    return mark_safe("".join(labels))
