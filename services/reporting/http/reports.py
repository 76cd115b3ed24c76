"""`/v1/reports`: the programmes a reader may report on, and one programme's report for a period as
JSON, CSV or an XLSX workbook. Aggregates only, every count checked against small cells."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel

from services.reporting.core.tables import Report
from services.reporting.use_cases.reports import report_for, visible_programmes
from shared.http.params import known_query_only

from .deps import PROGRAMME_ID, Context, Reader, Within
from .formats import report_csv, report_xlsx

router = APIRouter(prefix="/v1/reports", tags=["reports"], dependencies=[Depends(known_query_only)])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ProgrammeId = Annotated[str, Path(pattern=PROGRAMME_ID, description="a programme id")]


class Programmes(BaseModel):
    programmes: list[str]


@router.get("")
async def list_programmes(context: Context, reader: Reader) -> Programmes:
    """The programmes the read model has events of that the reader may see (a manager: their own)."""
    return Programmes(programmes=await visible_programmes(context, reader))


@router.get("/{programme_id}")
async def programme_report(
    programme_id: ProgrammeId, context: Context, reader: Reader, period: Within
) -> Report:
    """The programme's report for the period. A programme outside the reader's scope is answered
    as one that does not exist (404)."""
    return await report_for(context, reader, programme_id, period)


@router.get(
    "/{programme_id}/csv",
    response_class=Response,
    responses={
        200: {"description": "one line per cell", "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
async def programme_report_csv(
    programme_id: ProgrammeId, context: Context, reader: Reader, period: Within
) -> Response:
    """The same report, one CSV line per cell: table, unit, currency, row, column, value, suppressed."""
    report = await report_for(context, reader, programme_id, period)
    return Response(
        report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_file_name(report, "csv")}"'},
    )


@router.get(
    "/{programme_id}/xlsx",
    response_class=Response,
    responses={
        200: {
            "description": "a workbook: a summary sheet, then one sheet per table",
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def programme_report_xlsx(
    programme_id: ProgrammeId, context: Context, reader: Reader, period: Within
) -> Response:
    """The same report as an XLSX workbook a donor opens in a spreadsheet."""
    report = await report_for(context, reader, programme_id, period)
    return Response(
        report_xlsx(report),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{_file_name(report, "xlsx")}"'},
    )


def _file_name(report: Report, extension: str) -> str:
    return (
        f"{report.programme_id}_{report.period_from.isoformat()}_{report.period_to.isoformat()}.{extension}"
    )
