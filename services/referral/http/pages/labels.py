"""What the portal calls the payload's fields, in the catalogues (each marked with N_ here and
translated on the page by its language); a field the contract adds later and this list does not name
yet is shown by its code. Categories and priorities it calls as the caseworkers' page does."""

from __future__ import annotations

from services.referral.http.words import CATEGORIES as CATEGORY_LABELS
from services.referral.http.words import PRIORITIES as PRIORITY_LABELS
from shared.http.i18n import N_

__all__ = ["CATEGORY_LABELS", "FIELD_LABELS", "PRIORITY_LABELS"]

FIELD_LABELS = {
    "age": N_("Age"),
    "ages": N_("Ages"),
    "arrival_point": N_("Arrival point"),
    "business_sector": N_("Business sector"),
    "carrier": N_("Carrier"),
    "household_size": N_("Household size"),
    "meeting_code": N_("Meeting code"),
    "mode": N_("Travelling by"),
    "municipality": N_("Municipality"),
    "number": N_("Flight or crossing number"),
    "plan_stage": N_("Business plan stage"),
    "scheduled_at": N_("Scheduled arrival"),
    "school_age_members": N_("School-age members"),
    "school_level": N_("School level"),
    "sector": N_("Sector"),
    "sex": N_("Sex"),
    "skills": N_("Skills"),
    "special_assistance": N_("Special assistance"),
    "training_wanted": N_("Training wanted"),
    "travellers": N_("Travellers"),
    "vulnerabilities": N_("Vulnerabilities shared with your category"),
    "work_history": N_("Work history"),
    "years": N_("Years"),
}
