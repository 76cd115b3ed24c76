"""The pages' accessibility audit (issue 15, point 6): axe-core run inside the page by Playwright
(axe-playwright-python bundles axe-core's axe.min.js and evaluates it in the page, which the
pages' strict Content-Security-Policy allows: it is the browser's debugging channel, not a
<script> the page loads). A page passes with no `serious` or `critical` violation of the WCAG 2.x
A and AA rules."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page

BLOCKING = frozenset({"serious", "critical"})
OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
}
AXE = Axe()


async def blocking_violations(page: Page) -> list[str]:
    """`rule (impact): target — help` for each serious or critical violation on the page as it is."""
    results = await AXE.run(page, options=OPTIONS)
    found: list[str] = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        for node in violation["nodes"]:
            found.append(f"{violation['id']} ({violation['impact']}): {describe(node)} — {violation['help']}")
    return found


def describe(node: dict[str, Any]) -> str:
    return ", ".join(str(target) for target in node["target"])
