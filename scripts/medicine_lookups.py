"""How long doses/medicines.py takes to resolve a medicine name: the first look-up that needs the
drug dictionary (it is imported and unpickled then, once per process) and the look-ups after it.

    .venv/bin/python scripts/medicine_lookups.py

Pure: no Django, no database, no network.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from doses import medicines  # noqa: E402

REPEAT = 20
KINDS = [
    ("exact dictionary look-ups", ["ibuprofen", "metformin 500 mg", "vitamin D", "Lantus", "Exemptia", "Prolia"]),
    ("close spellings (asked about)", ["Humera", "Enbrell", "Remicaid", "inflixamab", "azathioprin", "Tofacitnib"]),
    ("names nobody knows", ["NewMab", "Zzyzx tablets", "Fish oil", "Vitamin 12"]),
]


def _timed(name: str) -> tuple[float, medicines.MedicineAdvice]:
    start = time.perf_counter()
    advice = medicines.classify_medicine(name)
    return (time.perf_counter() - start) * 1000, advice


def main() -> None:
    ms, _ = _timed("Humira")
    print(f"a name on the table (dictionary not loaded): {ms:.2f} ms")
    ms, advice = _timed("paracetamol")
    print(f"first name not on the table (imports the dictionary): {ms:.0f} ms -> {advice.matched}")
    for label, names in KINDS:
        times = [_timed(name)[0] for name in names for _ in range(REPEAT)]
        print(f"then {label}: median {statistics.median(times):.2f} ms, max {max(times):.2f} ms ({len(times)} calls)")


if __name__ == "__main__":
    main()
