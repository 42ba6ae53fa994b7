"""Reads only, one module per page or sub-domain: today, log_page, panel, patient_page, records,
exports, proposals, holds, care_team, supply. Selectors never write and never build sentences for a page."""
