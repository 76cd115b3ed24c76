"""The report page's words for its tables, marked for the catalogues: the tables' titles and units,
their columns and row keys, the charts' captions, the suppression rule (shared.http.labels explains
why a label's message is its readable English).

The reporting core writes them in English for every format (JSON, CSV, the workbook); the page
shows them in its language (`_(table.title)` in report.html, the `label` filter for keys)."""

from __future__ import annotations

from services.reporting.core.facts import Movement
from services.reporting.core.population import HouseholdType
from shared.http.i18n import N_
from shared.http.labels import register

register(
    {
        HouseholdType.SINGLE_ADULT: N_("Single adult"),
        HouseholdType.SINGLE_MINOR: N_("Minor alone"),
        HouseholdType.ADULTS_ONLY: N_("Adults only"),
        HouseholdType.WITH_CHILDREN: N_("With children"),
        Movement.COMMITTED: N_("Committed"),
        Movement.DISBURSED: N_("Disbursed"),
        Movement.RETURNED: N_("Returned"),
        Movement.RELEASED: N_("Released"),
    }
)

PAGE_CODES = (HouseholdType, Movement)

# the other columns and row keys, labelled by their derived English (`shared.http.labels.derived`)
KEYS = (
    N_("Count"),
    N_("Total"),
    N_("None"),
    N_("Referred"),
    N_("Median days to completion"),
    N_("Cases"),
    N_("Due"),
    N_("Done"),
    N_("Visited"),
    N_("Economic"),
    N_("Social"),
    N_("Psychosocial"),
    N_("Composite"),
)

TITLES = (
    N_("Monitoring visits due and done"),
    N_("Survey scores by quarter (means, 0 to 1)"),
    N_("Returnees by sex"),
    N_("Returnees by age band"),
    N_("Households by type"),
    N_("Households by vulnerability (a household may have several)"),
    N_("Assistance by category"),
    N_("Money by assistance type (minor units)"),
    N_("Cases closed by reason"),
    N_("Returnees by age band (people)"),
    N_("Returnees by sex (people)"),
    N_("Assistance by category (cases)"),
    N_("Money by assistance type"),
    N_("Monitoring visits due and done (cases)"),
)

UNITS = (N_("cases"), N_("people"), N_("households"), N_("cases visited"))

NOT_REPORTED = (N_("visits due: the programme's donor policy names no monitoring schedule"),)

# the suppression rule (services/reporting/core/tables.SUPPRESSION_RULE), with its threshold
SUPPRESSION_RULE = N_(
    "Counts of 1 to %(below)s are suppressed; where a group has a suppressed cell, more cells"
    " (the smallest of %(threshold)s or more first) are suppressed until no suppressed cell can be"
    " narrowed by subtraction from the total; a total under %(threshold)s suppresses its whole"
    " group. Money and medians go with the counts they come from."
)
