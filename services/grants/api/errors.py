"""Domain refusals as HTTP answers: each kind of GrantsError has one status."""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from services.grants.errors import Conflict, FourEyesViolation, GrantsError, InvalidRequest, NotFound

STATUS_BY_ERROR: list[tuple[type[GrantsError], int]] = [
    (NotFound, status.HTTP_404_NOT_FOUND),
    (Conflict, status.HTTP_409_CONFLICT),
    (FourEyesViolation, status.HTTP_403_FORBIDDEN),
    (InvalidRequest, status.HTTP_422_UNPROCESSABLE_CONTENT),
]


def install_error_handlers(app: FastAPI) -> None:
    async def refused(request: Request, error: Exception) -> JSONResponse:
        code = next(
            (c for kind, c in STATUS_BY_ERROR if isinstance(error, kind)), status.HTTP_400_BAD_REQUEST
        )
        return JSONResponse({"detail": str(error)}, status_code=code)

    app.add_exception_handler(GrantsError, refused)
