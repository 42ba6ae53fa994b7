"""Kidney function and neutrophil results on the pages (SCHED-RENAL, AE-LABS, AE-NEUTROPENIA).

`KidneySection` is what the patient page, the labs page and the regimen page draw (the
partials templates/doses/kidney/); it reads only when a template asks, so inside a cached
fragment it costs nothing. The labs page's views (views/records.py) take the results.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.functional import cached_property

from companion.access import Capability, role_can

from ..forms.kidney import KidneyFunctionForm
from ..presenters import kidney as kidney_presenters
from ..selectors import kidney as kidney_selectors


class KidneySection:
    """SCHED-RENAL and AE-LABS for one patient, as the pages show them."""

    def __init__(self, patient, *, form: KidneyFunctionForm | None = None):
        self.patient = patient
        self.is_clinician = role_can(patient.access_role, Capability.CONFIRM)
        self._form = form

    @cached_property
    def status(self) -> kidney_selectors.KidneyStatus:
        return kidney_selectors.kidney_status(self.patient)

    @cached_property
    def facts(self) -> kidney_presenters.KidneyFacts | None:
        return kidney_presenters.kidney_facts(self.status.measurement) if self.status.measurement else None

    @cached_property
    def source(self) -> str:
        return kidney_presenters.source_text(self.status.measurement, legacy=self.status.legacy)

    @cached_property
    def history(self) -> list[kidney_presenters.KidneyFacts]:
        return [kidney_presenters.kidney_facts(m) for m in kidney_selectors.kidney_history(self.patient)]

    @cached_property
    def every_other_day_to_consider(self) -> bool:
        return kidney_selectors.every_other_day_to_consider(self.patient, self.status)

    @cached_property
    def headline(self) -> str:
        if self.facts is not None:
            return self.facts.headline
        if self.status.legacy:
            return f"Creatinine clearance {self.status.clearance_ml_min} mL/min"
        return ""

    @cached_property
    def propose_url(self) -> str:
        """SCHED-RENAL: the regimen form prefilled to every other day, with the reason; a clinician confirms."""
        query = {
            "interval_days": 2,
            "change_reason": kidney_presenters.renal_change_reason(self.headline, self.source),
        }
        return reverse("doses:regimen_new", args=[self.patient.pk]) + "?" + urlencode(query)

    @cached_property
    def neutrophils(self):
        return kidney_selectors.neutrophil_results(self.patient)

    @cached_property
    def neutrophil_chart(self):
        return kidney_presenters.neutrophil_chart(self.neutrophils)

    @cached_property
    def neutrophil_rows(self) -> list[dict]:
        return kidney_presenters.trend_rows(self.neutrophils)

    @cached_property
    def latest_neutrophils_low(self) -> bool:
        return bool(self.neutrophils) and self.neutrophils[-1].below_threshold

    @cached_property
    def form(self) -> KidneyFunctionForm | None:
        if not self.is_clinician:
            return None
        return self._form or KidneyFunctionForm(
            patient=self.patient, action=reverse("doses:kidney_result", args=[self.patient.pk])
        )
