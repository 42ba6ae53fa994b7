"""The body map's markup, built in Python (SITE-SELF, SITE-OTHER, SITE-ROTATE).

The log page shows 32 spots twice (the drawing and the radio inputs). As a template with
loops and conditions per spot this was about a fifth of the page's server time under load;
built here with format_html it is the same markup for a fraction of the cost. Every value
is escaped by format_html. The radio inputs are the real control: they work with a keyboard
and a screen reader, with or without JavaScript; the drawing is a visual layer that
static/js/body_map.js keeps in step with them.
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

SVG_SHAPES = mark_safe(
    """      <svg viewBox="0 0 160 300" focusable="false" class="body-svg">
        <circle class="body-shape" cx="80" cy="26" r="18"/>
        <rect class="body-shape" x="72" y="40" width="16" height="14"/>
        <rect class="body-shape" x="44" y="50" width="72" height="122" rx="16"/>
        <rect class="body-shape" x="24" y="56" width="16" height="104" rx="8"/>
        <rect class="body-shape" x="120" y="56" width="16" height="104" rx="8"/>
        <rect class="body-shape" x="46" y="160" width="32" height="135" rx="12"/>
        <rect class="body-shape" x="82" y="160" width="32" height="135" rx="12"/>
"""
)
SIDES = {
    "front": mark_safe(
        '        <circle class="body-navel" cx="80" cy="120" r="3"/>\n'
        '        <text class="body-side" x="8" y="150">R</text><text class="body-side" x="144" y="150">L</text>\n'
    ),
    "back": mark_safe(
        '        <text class="body-side" x="8" y="150">L</text><text class="body-side" x="144" y="150">R</text>\n'
    ),
}
CAPTIONS = {"front": "Front (facing you)", "back": "Back (someone else injects)"}
LEGEND = mark_safe(
    """  <p class="small mb-2 body-map-legend">
    <span class="legend-swatch recency-last"></span> used last time ·
    <span class="legend-swatch recency-recent"></span> used in the 3 times before ·
    <span class="legend-swatch recency-older"></span> used earlier ·
    <span class="legend-swatch recency-fresh"></span> not used yet ·
    <span aria-hidden="true">★</span> suggested next spot.
    Left and right are the patient's own left and right.
  </p>
"""
)
BACK_NOTE = mark_safe(
    '  <div class="back-zones">\n  <p class="small mb-2 back-note" id="back-note"><strong>Back of the upper arms and '
    "buttocks:</strong> only when someone else gives the injection (SITE-OTHER). When injecting yourself, use the "
    "stomach or the thighs (SITE-SELF).</p>\n"
)


def _hidden_when(when: str, someone_else: bool) -> bool:
    """A star for one case only is hidden while the other case is chosen (body_map.js toggles it)."""
    return someone_else if when == "self" else not someone_else


def _map_star(spot, someone_else: bool) -> SafeString:
    when = _star_when(spot)
    if when is None:
        return mark_safe("")
    hidden = " is-hidden" if when != "both" and _hidden_when(when, someone_else) else ""
    return format_html(
        '<text class="map-star{}" data-when="{}" x="{}" y="{}" dy="0.35em" text-anchor="middle">★</text>',
        hidden,
        when,
        spot.x,
        spot.y,
    )


def _list_star(spot, someone_else: bool) -> SafeString:
    when = _star_when(spot)
    if when is None:
        return mark_safe("")
    hidden = " hidden" if when != "both" and _hidden_when(when, someone_else) else ""
    return format_html(
        '<span class="spot-suggested" data-when="{}"{}><span aria-hidden="true">★</span> suggested</span>', when, hidden
    )


def _star_when(spot) -> str | None:
    if spot.suggested_self and spot.suggested_other:
        return "both"
    if spot.suggested_self:
        return "self"
    if spot.suggested_other:
        return "other"
    return None


def _figure(view_name: str, groups, someone_else: bool) -> SafeString:
    spots = format_html_join(
        "",
        '        <g class="map-spot recency-{}{}" data-spot="{}">\n'
        '          <circle cx="{}" cy="{}" r="6.5"/>\n'
        "          {}\n"
        "        </g>\n",
        (
            (
                spot.recency,
                " is-selected" if spot.checked else "",
                spot.code,
                spot.x,
                spot.y,
                _map_star(spot, someone_else),
            )
            for group in groups
            for spot in group.spots
        ),
    )
    disabled = " is-disabled" if view_name == "back" and not someone_else else ""
    return format_html(
        '    <figure class="body-figure body-figure-{}{}" data-view="{}">\n{}{}{}      </svg>\n'
        '      <figcaption class="small text-center">{}</figcaption>\n    </figure>\n',
        view_name,
        disabled,
        view_name,
        SVG_SHAPES,
        SIDES[view_name],
        spots,
        CAPTIONS[view_name],
    )


def _zone(view_name: str, group, body_map, field_name: str, has_errors: bool) -> SafeString:
    zone = group.zone
    invalid = mark_safe(' aria-invalid="true" aria-describedby="site-errors"') if has_errors else ""
    options = format_html_join(
        "",
        '      <label class="choice-option spot-option recency-{}" for="{}">\n'
        '        <input type="radio" class="form-check-input" name="{}" id="{}" value="{}" data-label="{}, spot {}"{}{}>\n'
        '        <span><span class="visually-hidden">{}, </span>spot {}\n'
        '        <span class="spot-used">— {}</span>\n'
        "        {}\n"
        "        {}</span>\n"
        "      </label>\n",
        (
            (
                spot.recency,
                spot.dom_id,
                field_name,
                spot.dom_id,
                spot.code,
                zone.label,
                spot.number,
                mark_safe(" checked") if spot.checked else "",
                invalid,
                zone.label,
                spot.number,
                spot.used_text,
                _list_star(spot, body_map.someone_else),
                mark_safe('<span class="spot-last">(last time)</span>') if spot.code == body_map.last_spot else "",
            )
            for spot in group.spots
        ),
    )
    return format_html(
        '  <fieldset class="spot-zone mb-2" data-self-allowed="{}" data-view="{}"{}>\n'
        '    <legend class="fs-6 mb-1 fw-semibold">{}</legend>\n'
        '    <div class="spot-grid">\n{}    </div>\n  </fieldset>\n',
        "1" if zone.self_injection else "0",
        view_name,
        "" if zone.self_injection else mark_safe(' aria-describedby="back-note"'),
        zone.label,
        options,
    )


def body_map_html(body_map, *, field_name: str, has_errors: bool) -> SafeString:
    """The whole body map: the drawing (hidden from screen readers), the legend, the radio inputs."""
    figures = mark_safe("".join(_figure(name, groups, body_map.someone_else) for name, groups in body_map.views))
    zones = []
    for view_name, groups in body_map.views:
        if view_name == "back":
            zones.append(BACK_NOTE)
        zones += [_zone(view_name, group, body_map, field_name, has_errors) for group in groups]
        if view_name == "back":
            zones.append(mark_safe("  </div>\n"))
    return format_html(
        '<div class="body-map" id="body-map" data-last-spot="{}">\n'
        '  <div class="body-map-figures" aria-hidden="true">\n{}  </div>\n{}{}'
        '  <div id="rotate-warning" class="alert alert-warning mt-2" role="status" data-message="{}" hidden></div>\n'
        "</div>\n",
        body_map.last_spot or "",
        figures,
        LEGEND,
        mark_safe("".join(zones)),
        body_map.rotate_message,
    )
