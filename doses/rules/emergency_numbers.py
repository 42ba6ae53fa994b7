"""Emergency, urgent-advice, poison-centre and side-effect-reporting numbers, per country (AE-OVERDOSE, AE-REPORT).

The patient information this app follows is American (MedlinePlus: "call 911", poison control
1-800-222-1222, FDA MedWatch), and told a patient in London to call 911. AE-OVERDOSE and
AE-REPORT stay the rules (emergency care for collapse, a seizure, trouble breathing or not
waking up; poison advice after an overdose; a serious side effect can be reported), but the
numbers are those of the patient's country (companion.models.Patient.country, ISO 3166
alpha-2). A country not in this table, or none, gets "your local emergency number" and no
number at all: never a US number for someone who is not in the US.

One entry per country, each with the page it was checked against (`sources`). Only numbers
that a source states are here; where a country has no single national line (poison advice
in Great Britain, the rest of Europe) the entry says where to go instead of inventing one.

Pure: no Django, importable by anyone (companion's footer context processor, doses' pages,
reminders' e-mails).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Line:
    """A number to call: what it is, how it is written in that country, and what a tel: link dials."""

    name: str
    number: str  # as people there write it: "999", "1-800-222-1222", "13 11 26"
    dial: str  # the tel: target: a short code as is ("999"), a long number in E.164 ("+18002221222")
    hours: str = ""  # when it answers, where it is not round the clock

    @property
    def tel(self) -> str:
        return f"tel:{self.dial}"

    @property
    def label(self) -> str:
        """"Poison Control, 1-800-222-1222"; "NHS 111" once, where the name is the number."""
        return self.name if self.number in self.name else f"{self.name}, {self.number}"


@dataclass(frozen=True)
class Reporting:
    """AE-REPORT: where a serious side effect is reported."""

    name: str  # "the MHRA Yellow Card scheme"
    url: str = ""  # a link to the reporting page; empty where there is no one national page
    phone: Line | None = None


@dataclass(frozen=True)
class EmergencyNumbers:
    country: str  # ISO 3166 alpha-2, "" when unknown
    country_name: str
    emergency: Line | None  # AE-OVERDOSE: collapse, seizure, trouble breathing, cannot be woken
    urgent: Line | None = None  # urgent advice that is not an emergency (NHS 111, healthdirect ...)
    poison: Line | None = None  # AE-OVERDOSE: poison advice after too much anakinra
    poison_advice: str = ""  # where there is no poison line for the public: who to call instead
    reporting: Reporting | None = None  # AE-REPORT
    sources: tuple[str, ...] = field(default=(), compare=False)

    @property
    def known(self) -> bool:
        return self.emergency is not None

    @property
    def urgent_is_poison_route(self) -> bool:
        """GB: NHS 111 is both the urgent-advice line and the public's route to poison advice."""
        return self.urgent is not None and self.urgent == self.poison

    @property
    def emergency_number(self) -> str:
        """For a sentence: "call 999 now", or "call your local emergency number now"."""
        return self.emergency.number if self.emergency else "your local emergency number"

    @property
    def poison_words(self) -> str:
        """For a sentence after "call": the poison line, or where to go instead."""
        if self.poison:
            return f"{self.poison.name} on {self.poison.number}"
        return self.poison_advice or "your doctor or a poison centre"

    @property
    def reporting_words(self) -> str:
        if self.reporting is None:
            return "your national medicines agency (the package leaflet names it)"
        return self.reporting.name


_GENERIC_REPORTING = Reporting(name="your national medicines agency (the package leaflet names it)")

_TABLE: dict[str, EmergencyNumbers] = {
    entry.country: entry
    for entry in [
        EmergencyNumbers(
            country="US",
            country_name="United States",
            emergency=Line("Emergency", "911", "911"),
            poison=Line("Poison Control", "1-800-222-1222", "+18002221222"),
            reporting=Reporting(
                name="FDA MedWatch",
                url="https://www.fda.gov/safety/medwatch",
                phone=Line("FDA MedWatch", "1-800-332-1088", "+18003321088"),
            ),
            sources=(
                "MedlinePlus, anakinra injection (shared/seeds/medlineplus-anakinra.txt): 911, "
                "poison control 1-800-222-1222, MedWatch 1-800-332-1088",
                "https://www.fda.gov/safety/medwatch",
            ),
        ),
        EmergencyNumbers(
            country="GB",
            country_name="United Kingdom",
            emergency=Line("Emergency", "999", "999"),
            urgent=Line("NHS 111", "111", "111"),
            # The UK's National Poisons Information Service answers health professionals only: the
            # public's route to poison advice is NHS 111 (or 999 for an emergency).
            poison=Line("NHS 111", "111", "111"),
            reporting=Reporting(name="the MHRA Yellow Card scheme", url="https://yellowcard.mhra.gov.uk"),
            sources=(
                "https://www.nhs.uk/nhs-services/urgent-and-emergency-care-services/when-to-use-111/",
                "https://www.npis.org/ (for health professionals; the public calls NHS 111)",
                "https://yellowcard.mhra.gov.uk",
            ),
        ),
        EmergencyNumbers(
            country="IE",
            country_name="Ireland",
            emergency=Line("Emergency", "112 or 999", "112"),
            poison=Line("the Public Poisons Information Line", "01 809 2166", "+35318092166", hours="8am to 10pm"),
            poison_advice="your GP or the out-of-hours GP service",
            reporting=Reporting(
                name="the HPRA",
                url=(
                    "https://hpra.ie/safety-information/how-we-monitor-safety/medicines/"
                    "reporting-suspected-side-effects-to-the-hpra/reporting-a-suspected-side-effect-as-a-patient-or-carer"
                ),
            ),
            sources=(
                "https://poisons.ie/about/what-we-do/ (Public Poisons Information Line 01 809 2166, 8am-10pm)",
                "https://hpra.ie/safety-information/how-we-monitor-safety/medicines/"
                "reporting-suspected-side-effects-to-the-hpra/reporting-a-suspected-side-effect-as-a-patient-or-carer",
                "112 and 999: EU single emergency number; 999 in Ireland",
            ),
        ),
        EmergencyNumbers(
            country="CA",
            country_name="Canada",
            emergency=Line("Emergency", "911", "911"),
            urgent=Line("811 (health advice, most provinces and territories)", "811", "811"),
            # Quebec residents keep the Centre antipoison du Québec (1-800-463-5060); 1-844-POISON-X
            # reaches the local centre from the other provinces and territories.
            poison=Line("your provincial poison centre", "1-844-POISON-X (1-844-764-7669)", "+18447647669"),
            reporting=Reporting(
                name="MedEffect Canada (Canada Vigilance)",
                url="https://www.canada.ca/en/health-canada/services/drugs-health-products/medeffect-canada.html",
            ),
            sources=(
                "Health Canada, 21 March 2023: 1-844-POISON-X (1-844-764-7669), "
                "https://www.ctvnews.ca/health/health-canada-launches-new-toll-free-number-for-poison-centres-1.6321586",
                "https://www.hss.gov.nt.ca/en/services/811 ; http://healthpei.ca/811",
                "https://www.canada.ca/en/health-canada/services/drugs-health-products/medeffect-canada.html",
            ),
        ),
        EmergencyNumbers(
            country="AU",
            country_name="Australia",
            emergency=Line("Emergency", "000", "000"),
            urgent=Line("healthdirect", "1800 022 222", "+611800022222"),
            poison=Line("the Poisons Information Centre", "13 11 26", "131126"),
            reporting=Reporting(name="the TGA", url="https://www.tga.gov.au/reporting-problems"),
            sources=(
                "https://www.poisonsinfo.health.qld.gov.au (13 11 26, 24 hours, anywhere in Australia; 000 for collapse)",
                "https://www.healthdirect.gov.au (1800 022 222)",
                "https://www.tga.gov.au/reporting-problems",
            ),
        ),
        EmergencyNumbers(
            country="NZ",
            country_name="New Zealand",
            emergency=Line("Emergency", "111", "111"),
            urgent=Line("Healthline", "0800 611 116", "+64800611116"),
            poison=Line("the National Poisons Centre", "0800 POISON (0800 764 766)", "+64800764766"),
            reporting=Reporting(name="CARM (the Centre for Adverse Reactions Monitoring)", url="https://nzphvc.otago.ac.nz/reporting/"),
            sources=(
                "https://otago.custhelp.com/app/answers/detail/a_id/2481/~/national-poisons-centre (0800 764 766)",
                "https://www.plunket.org.nz/your-child/emergency/poisons/in-the-garden/ (111 when unconscious or "
                "trouble breathing)",
                "https://www.healthline.govt.nz (0800 611 116)",
                "https://nzphvc.otago.ac.nz/reporting/",
            ),
        ),
    ]
}

# The rest of the European Union and the EEA: 112 is the emergency number in every member state
# (Directive (EU) 2018/1972, art. 109). Poison centres and medicines agencies are national, and
# this table does not list them: the entry says where to go instead.
EU_EEA_112 = {
    "AT": "Austria",
    "BE": "Belgium",
    "BG": "Bulgaria",
    "HR": "Croatia",
    "CY": "Cyprus",
    "CZ": "Czechia",
    "DK": "Denmark",
    "EE": "Estonia",
    "FI": "Finland",
    "FR": "France",
    "DE": "Germany",
    "GR": "Greece",
    "HU": "Hungary",
    "IT": "Italy",
    "LV": "Latvia",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "MT": "Malta",
    "NL": "Netherlands",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "SK": "Slovakia",
    "SI": "Slovenia",
    "ES": "Spain",
    "SE": "Sweden",
    "IS": "Iceland",
    "LI": "Liechtenstein",
    "NO": "Norway",
}
for _code, _name in EU_EEA_112.items():
    _TABLE[_code] = EmergencyNumbers(
        country=_code,
        country_name=_name,
        emergency=Line("Emergency", "112", "112"),
        poison_advice="your national poison centre or your doctor",
        reporting=_GENERIC_REPORTING,
        sources=(
            "https://digital-strategy.ec.europa.eu/en/policies/112 (112 in every EU member state)",
            "EU package leaflets, section 4: 'Reporting of side effects' names the national system",
        ),
    )

UNKNOWN = EmergencyNumbers(
    country="",
    country_name="",
    emergency=None,
    poison_advice="your local poison centre or your doctor",
    reporting=_GENERIC_REPORTING,
)

COUNTRIES = tuple(sorted(_TABLE))  # the countries this table knows


def numbers_for(country: str | None) -> EmergencyNumbers:
    """AE-OVERDOSE, AE-REPORT: the numbers for a patient in `country` (ISO 3166 alpha-2); UNKNOWN otherwise."""
    return _TABLE.get((country or "").strip().upper(), UNKNOWN)
