"""The page for programme managers: `/reports` (their programmes), `/reports/<programme>` (the
report's tables and its charts, a period form; downloads), and each chart as an SVG image drawn on
the server. No JavaScript anywhere; the charts are same-origin images, so the page keeps the strict
Content-Security-Policy every page has. Signed in with the shared session (`shared.http.signin`)."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import pass_context
from jinja2.runtime import Context as JinjaContext
from starlette.concurrency import run_in_threadpool

from services.reporting.core.errors import NotFound
from services.reporting.core.suppression import THRESHOLD
from services.reporting.core.tables import Row, Table
from services.reporting.use_cases.reports import report_for, visible_programmes
from shared.http import i18n
from shared.http.i18n import N_
from shared.http.pages import Pages
from shared.http.sessions import page_user, user_for_session
from shared.identity.model import User

from . import labels
from .charts import CHARTS, chart_svg
from .deps import PROGRAMME_ID, REPORT_READERS, Context, Within
from .formats import SUPPRESSED_MARK

# an SVG image may style itself (matplotlib writes style attributes) but never run or fetch anything
CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"

router = APIRouter(include_in_schema=False)
Manager = Annotated[User, Depends(page_user(*REPORT_READERS))]
ProgrammeId = Annotated[str, Path(pattern=PROGRAMME_ID)]


@pass_context
def cell(context: JinjaContext, value: Any, table: Table, position: int, row: Row) -> str:
    """A table's cell in the page's locale: `1,234` / `1.234` / `1 234`; the suppressed mark."""
    if value is None:
        column = table.columns[position]
        if column.startswith("median") and row.values[table.columns.index("completed")] == 0:
            return "-"
        return SUPPRESSED_MARK
    lang = i18n.language_of(context)
    if isinstance(value, float):
        return format_decimal(value, format="#,##0.0", locale=lang)
    return format_decimal(value, locale=lang)


HERE = FilePath(__file__).parent
PAGES = Pages(HERE / "templates", home_url="/reports", static=HERE / "static")
PAGES.env.filters["cell"] = cell
render = PAGES.render
sign_in_page = PAGES.sign_in_page


@router.get("/")
async def home(request: Request) -> Response:
    if await user_for_session(request) is None:
        return sign_in_page(request)
    return RedirectResponse("/reports", status_code=303)


@router.get("/reports")
async def index(request: Request, context: Context, manager: Manager) -> Response:
    return render(request, "index.html", {"programmes": await visible_programmes(context, manager)})


@router.get("/reports/{programme_id}")
async def report_page(
    request: Request, programme_id: ProgrammeId, context: Context, manager: Manager, period: Within
) -> Response:
    try:
        report = await report_for(context, manager, programme_id, period)
    except NotFound as error:
        return PAGES.error(request, N_("Not found"), str(error), 404)
    query = urlencode({"from": report.period_from.isoformat(), "to": report.period_to.isoformat()})
    charts = [(name, title) for name, (_, _, title) in CHARTS.items()]
    lang = PAGES.lang(request)
    rule = i18n.gettext(lang, labels.SUPPRESSION_RULE, below=THRESHOLD - 1, threshold=THRESHOLD)
    page = {"report": report, "query": query, "charts": charts, "suppression_rule": rule}
    return render(request, "report.html", page)


@router.get("/reports/{programme_id}/charts/{chart}.svg")
async def chart(
    programme_id: ProgrammeId, chart: str, context: Context, manager: Manager, period: Within
) -> Response:
    try:
        report = await report_for(context, manager, programme_id, period)
    except NotFound:
        return Response(status_code=404)
    svg = await run_in_threadpool(chart_svg, report, chart)
    if svg is None:
        return Response(status_code=404)
    return Response(svg, media_type="image/svg+xml", headers={"Content-Security-Policy": CHART_POLICY})
