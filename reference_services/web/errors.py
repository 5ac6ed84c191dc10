"""Every error leaves as a JSON object with a "message" (the contract's rule), never HTML or a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reference_services.faults import ActiveFaults
from reference_services.wording import Wording

logger = logging.getLogger("reference_services")

# Starlette's own errors (unknown route, wrong method, body too large) mapped to our wording.
_STATUS_WORDING = {404: "route_not_found", 405: "method_not_allowed"}


class ApiError(Exception):
    """An answer other than success: a status and a wording key (with its values)."""

    def __init__(self, status_code: int, key: str, **values: object) -> None:
        super().__init__(key)
        self.status_code = status_code
        self.key = key
        self.values = values


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413)
        self.limit = limit


def error_body(request: Request, key: str, **values: object) -> dict[str, Any]:
    wording: Wording = request.app.state.wording
    body: dict[str, Any] = {"message": wording(key, **values)}
    if _faults(request).on("extra_fields"):
        body["code"] = key
        body["details"] = {"path": request.url.path, **{name: str(value) for name, value in values.items()}}
    return body


def error_response(request: Request, status_code: int, key: str, **values: object) -> JSONResponse:
    return JSONResponse(error_body(request, key, **values), status_code=status_code)


def describe_validation_errors(errors: list[dict[str, Any]]) -> str:
    """A short, readable summary of pydantic's errors (without echoing the input)."""
    parts = []
    for error in errors[:3]:
        if error.get("type") == "json_invalid":
            parts.append("the body is not valid JSON")
            continue
        # pydantic names its validators in the location ("function-after[...]"): not the caller's business.
        parts_shown = [str(part) for part in error.get("loc", ()) if part != "body" and "[" not in str(part)]
        location = ".".join(parts_shown) or "body"
        parts.append(f"{location}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


_ERROR_SCHEMA = {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}


def describe_errors_as_the_contract_does(app: FastAPI) -> None:
    """FastAPI's generated schema announces 422 for invalid bodies; these services answer 400 (the contract's
    rule), so their own schema says 400 with the error object instead."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            for path_item in schema.get("paths", {}).values():
                for operation in path_item.values():
                    if operation.get("responses", {}).pop("422", None) is not None:
                        operation["responses"]["400"] = {
                            "description": "Invalid body",
                            "content": {"application/json": {"schema": _ERROR_SCHEMA}},
                        }
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Last resort: a JSON 500 without details. The tests show that no input reaches it.
    app.add_exception_handler(Exception, _unexpected_error)


def _faults(request: Request) -> ActiveFaults:
    return request.app.state.settings.faults


async def _api_error(request: Request, error: ApiError) -> JSONResponse:
    if error.status_code in (401, 403) and _faults(request).on("auth_errors_without_message"):
        return JSONResponse({"error": request.app.state.wording(error.key, **error.values)}, error.status_code)
    return error_response(request, error.status_code, error.key, **error.values)


async def _invalid_request(request: Request, error: RequestValidationError):
    errors = list(error.errors())
    faults = _faults(request)
    if faults.on("broken_json_500") and any(item.get("type") == "json_invalid" for item in errors):
        return HTMLResponse("<html><body><h1>500 Internal Server Error</h1></body></html>", status_code=500)
    if faults.on("invalid_body_422"):
        return await request_validation_exception_handler(request, error)
    # The contract says 400 where FastAPI would say 422.
    return error_response(request, 400, "invalid_body", detail=describe_validation_errors(errors))


async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    if isinstance(error, BodyTooLarge):
        response = error_response(request, 413, "body_too_large", limit=error.limit)
    elif error.status_code in _STATUS_WORDING:
        response = error_response(request, error.status_code, _STATUS_WORDING[error.status_code])
    else:
        response = error_response(request, error.status_code, "http_error", detail=error.detail)
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.error("unexpected error on %s %s: %r", request.method, request.url.path, error)
    return error_response(request, 500, "internal_error")
