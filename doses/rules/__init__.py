"""The anakinra rules as plain functions.

No HTTP, no ORM: numbers, dates and datetimes in, answers out. Views, forms, tasks
and tests all call these; nothing re-implements a rule. Every rule carries its ID
from shared/RULES.md and the source document it comes from.

Sources: DermNet NZ (dermnet-anakinra.txt), ACR patient fact sheet
(acr-anakinra-fact-sheet.txt), MedlinePlus (medlineplus-anakinra.txt), and the US
prescribing information ("label") that DermNet cites.

One module per family of rules; callers import the module they use:

- `catalogue`: The rules' catalogue (ID, summary, source) and the refusal every rule raises.
- `record_limits`: Dates a record can hold, and the one "cannot be in the future" refusal.
- `dosing`: The dose (DOSE-ADULT, DOSE-PED-*, DOSE-SYRINGE): milligrams, millilitres, syringes.
- `regimen_review`: Regimen checks: every rule a regimen, or a change to one, must pass, in one place.
- `dose_timing`: Dose timing (SCHED-*, MISS-*): local slots, the dose window, the missed-dose advice.
- `lab_checks`: Neutrophil counts (AE-LABS): when they are due and what a result may be.
- `syringe_supply`: Supply (SUPPLY-BOX, PREP-ONCE): syringes a dose takes, days a stock lasts.
- `preparation`: Pre-injection checks (PREP-WARM, PREP-24H, PREP-LOOK, PREP-ONCE, SITE-VEIN).
- `recorded_doses`: What the log may record (AE-OVERDOSE, PREP-24H, SUPPLY-BOX): doses, syringes, counts.
- `emergency_numbers`: Emergency, poison and side-effect-reporting numbers per country (AE-OVERDOSE, AE-REPORT).
"""
