"""Injection sites on the body map (SITE-SELF, SITE-OTHER, SITE-ROTATE, SITE-VEIN).

Pure data and functions. Each zone is divided into a grid of spots about 2.5 cm
(1 inch) apart (SITE-ROTATE), so "a new spot each time" is something the app can
count. Spot codes look like "abdomen-left-3" and are stored on each injection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

SPOT_SPACING_CM = 2.5  # SITE-ROTATE: about 1 inch between injections


@dataclass(frozen=True)
class Zone:
    code: str
    label: str
    self_injection: bool  # SITE-SELF when True; only someone else may use it otherwise (SITE-OTHER)
    rows: int
    cols: int
    view: str  # "front" or "back" of the body map

    @property
    def spots(self) -> list[str]:
        return [f"{self.code}-{n}" for n in range(1, self.rows * self.cols + 1)]


ZONES: list[Zone] = [
    # SITE-SELF: the stomach, keeping away from the navel (left and right of it) ...
    Zone("abdomen-left", "Stomach, left of the navel", True, 2, 2, "front"),
    Zone("abdomen-right", "Stomach, right of the navel", True, 2, 2, "front"),
    # ... and the front or outer thigh.
    Zone("thigh-left", "Left thigh, front/outer", True, 3, 2, "front"),
    Zone("thigh-right", "Right thigh, front/outer", True, 3, 2, "front"),
    # SITE-OTHER: only when someone else gives the injection.
    Zone("arm-left", "Back of left upper arm", False, 2, 1, "back"),
    Zone("arm-right", "Back of right upper arm", False, 2, 1, "back"),
    Zone("buttock-left", "Left buttock", False, 2, 2, "back"),
    Zone("buttock-right", "Right buttock", False, 2, 2, "back"),
]
ZONES_BY_CODE: dict[str, Zone] = {z.code: z for z in ZONES}
ALL_SPOTS: list[str] = [spot for zone in ZONES for spot in zone.spots]


def zone_of(spot: str) -> Zone:
    code, _, number = spot.rpartition("-")
    zone = ZONES_BY_CODE.get(code)
    if zone is None or spot not in zone.spots:
        raise ValueError(f"“{spot}” is not an injection spot on the body map.")
    return zone


def spot_label(spot: str) -> str:
    zone = zone_of(spot)
    return f"{zone.label}, spot {spot.rpartition('-')[2]}"


def allowed_spots(injected_by_someone_else: bool) -> list[str]:
    """SITE-SELF / SITE-OTHER: arms and buttocks only when someone else injects."""
    return [s for z in ZONES if z.self_injection or injected_by_someone_else for s in z.spots]


def is_allowed(spot: str, injected_by_someone_else: bool) -> bool:
    try:
        zone = zone_of(spot)
    except ValueError:
        return False
    return zone.self_injection or injected_by_someone_else


def site_refusal(spot: str, injected_by_someone_else: bool) -> str | None:
    """SITE-SELF / SITE-OTHER: why this spot may not be used, in words; None when it may.

    The log form shows it on the body map and the service says it again under its lock.
    """
    try:
        zone = zone_of(spot)
    except ValueError:
        return "Choose an injection spot on the body map."
    if zone.self_injection or injected_by_someone_else:
        return None
    return (
        f"{zone.label} is only for when someone else gives the injection (SITE-OTHER). "
        "When you inject yourself, use the stomach or the front/outer thigh (SITE-SELF)."
    )


def suggest_next_spot(last_used: Mapping[str, datetime], injected_by_someone_else: bool) -> str:
    """SITE-ROTATE: the least recently used allowed spot (never used first, in map order).

    Because every spot used gets a newer time, following the suggestion visits every
    allowed spot once before any spot repeats.
    """
    candidates = allowed_spots(injected_by_someone_else)
    never = [s for s in candidates if s not in last_used]
    if never:
        return never[0]
    return min(candidates, key=lambda s: (last_used[s], candidates.index(s)))


def expects_someone_else(*, viewer_is_patient: bool) -> bool:
    """SITE-SELF / SITE-OTHER: who the pages expect to give the next injection, for the person looking.

    The patient injects themselves; a parent or a caregiver is expected to give it. Today's
    suggested spot, the log form's default answer and its suggested spot, and the "next time"
    line after a dose all ask this, so one person sees one suggestion everywhere (SITE-ROTATE).
    """
    return not viewer_is_patient


def suggested_spot_for(last_used: Mapping[str, datetime], *, viewer_is_patient: bool) -> str:
    """SITE-ROTATE: the spot to suggest to the person looking (see expects_someone_else)."""
    return suggest_next_spot(last_used, expects_someone_else(viewer_is_patient=viewer_is_patient))


def rotation_warning(spot: str, previous_spot: str | None) -> str | None:
    """SITE-ROTATE: warn when the same spot as the last injection is chosen."""
    if previous_spot and spot == previous_spot:
        return (
            "This is the same spot as the last injection. Use a new spot about 2.5 cm (1 inch) "
            "away from the last one (SITE-ROTATE)."
        )
    return None


def recency_rank(last_used: Mapping[str, datetime], spots: Iterable[str]) -> dict[str, int]:
    """0 = used most recently; spots never used are absent. For shading the body map."""
    used = sorted((s for s in spots if s in last_used), key=lambda s: last_used[s], reverse=True)
    return {s: i for i, s in enumerate(used)}
