"""What the OpenAPI document says beyond what the decorators can: the contract as served.

flask-smorest documents one JSON body per answer. This completes the document: answers that
are HTML, CSV or images; `X-Pagination` as the JSON text it is; 428 and `If-Match` on updates
that need the version they are based on; 405 with `Allow` on every path.
"""

from __future__ import annotations

import copy
from typing import Any

from app.api.pagination import MAX_PAGE

ERROR_REF = {"$ref": "#/components/schemas/Error"}
_METHODS = ("get", "put", "post", "delete", "patch", "options", "head")

PAGINATION_HEADER = {
    "description": (
        "Pagination metadata as JSON text: total, total_pages, first_page, last_page, page, "
        'previous_page, next_page, e.g. {"total": 42, "total_pages": 5, "page": 1, ...}'
    ),
    "schema": {"type": "string"},
}

_HTML = {"text/html": {"schema": {"type": "string"}}}
_JPEG = {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}
# API answers that are not JSON: (path, method) -> content types of the 200 answer.
_NON_JSON = {
    ("/api/v1/photos/{photo_id}/thumbnail", "get"): _JPEG,
    ("/api/v1/photos/{photo_id}/content", "get"): {
        kind: {"schema": {"type": "string", "format": "binary"}}
        for kind in ("image/jpeg", "image/png", "image/webp")
    },
}
# Answers that are JSON or CSV, as the client asks (?format=csv or Accept: text/csv).
_CSV_TOO = {("/api/v1/metrics", "get"), ("/api/v1/metrics/{metric}", "get")}

IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": 'The ETag of the version the change is based on, e.g. "3" (or send `version`)',
    "schema": {"type": "string"},
}
PRECONDITION_REQUIRED = {
    "description": "Neither If-Match nor `version` names the version the change is based on",
    "content": {"application/json": {"schema": ERROR_REF}},
}
METHOD_NOT_ALLOWED = {
    "description": "The path does not accept this method; `Allow` lists those it does",
    "headers": {"Allow": {"schema": {"type": "string"}}},
    "content": {"application/json": {"schema": ERROR_REF}},
}


def complete(spec: dict[str, Any]) -> dict[str, Any]:
    """The document with what the decorators cannot say filled in."""
    spec = copy.deepcopy(spec)
    spec.setdefault("components", {}).setdefault("headers", {})["PAGINATION"] = PAGINATION_HEADER
    schemas = spec["components"].get("schemas", {})
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault("405", METHOD_NOT_ALLOWED)
            ok = responses.get("200")
            if ok is not None and (path, method) in _NON_JSON:
                ok["content"] = _NON_JSON[(path, method)]
            if ok is not None and (path, method) in _CSV_TOO:
                ok.setdefault("content", {})["text/csv"] = {"schema": {"type": "string"}}
            if not path.startswith(("/api/", "/mobile/")):
                _page(path, responses)
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter.get("name") == "page":
                    parameter.setdefault("schema", {})["maximum"] = MAX_PAGE
            if method == "patch" and _body_has_version(operation, schemas):
                responses["428"] = PRECONDITION_REQUIRED
                operation.setdefault("parameters", []).append(IF_MATCH)
    return spec


def _page(path: str, responses: dict[str, Any]) -> None:
    """Customers' pages (rating, progress, requests, help) answer HTML, errors included;
    their photos answer JPEG thumbnails."""
    for status, answer in list(responses.items()):
        if status == "405":
            continue
        if "$ref" in answer:
            responses[status] = answer = {
                "description": "An error",
                "content": {"application/json": {"schema": ERROR_REF}},
            }
        if status.startswith("2") and "/photos/" in path:
            answer["content"] = dict(_JPEG)
        elif not status.startswith("3"):
            answer.setdefault("content", {}).update(_HTML)


def _body_has_version(operation: dict[str, Any], schemas: dict[str, Any]) -> bool:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = body.get("schema", {})
    ref = schema.get("$ref", "")
    if ref:
        schema = schemas.get(ref.rsplit("/", 1)[-1], {})
    return "version" in schema.get("properties", {})
