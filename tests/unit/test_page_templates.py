"""Every template of every service's pages compiles in the environment that draws it: a filter or a
test a template names exists there (a page would otherwise answer 500 the first time it is drawn)."""

from __future__ import annotations

import pytest

from services.grants.http.pages.render import PAGES as GRANTS
from services.intake.http.pages.render import PAGES as INTAKE
from services.referral.http.pages.case_referrals import PAGES as REFERRAL
from services.referral.http.pages.portal import PAGES as PORTAL
from services.reporting.http.pages import PAGES as REPORTING
from shared.http.pages import Pages

ALL = {"intake": INTAKE, "referral": REFERRAL, "portal": PORTAL, "grants": GRANTS, "reporting": REPORTING}


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_template_compiles_with_the_filters_it_names(name: str) -> None:
    pages: Pages = ALL[name]
    templates = pages.env.list_templates(extensions=["html"])
    assert "layout.html" in templates  # the shared ones are found too
    broken = {}
    for template in templates:
        try:
            pages.env.get_template(template)
        except Exception as error:  # each template's own error is the finding
            broken[template] = repr(error)
    assert broken == {}
