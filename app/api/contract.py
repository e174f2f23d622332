"""What the OpenAPI document says beyond what the decorators can: the contract as served.

flask-smorest documents one JSON body per answer. This completes the document: answers that
are HTML, CSV or images; `X-Pagination` as the JSON text it is; 428, `If-Match` and a required
`version` on updates that need the version they are based on; 405 with `Allow` on every path;
the figures a path can name; the configured upload size; and, on each operation's 422, the
rules a JSON schema cannot state (`x-rules`: rules across fields, or about stored data).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask_smorest.spec.plugins import FlaskPlugin

from app.api.pagination import MAX_PAGE
from app.errors import ValidationFailed
from app.services.metrics import METRICS

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
    "description": (
        'The ETag of the version the change is based on, e.g. "3"; it may stand in for the '
        "body's `version`, and must agree with it when both are sent"
    ),
    "schema": {"type": "string", "pattern": r'^(W/)?"[0-9]{1,9}"$'},
}
# Path segments that name one of a fixed set (Flask routes read them as text).
_PATH_CHOICES = {("/api/v1/metrics/{metric}", "metric"): sorted(METRICS)}
# (method, path) -> (fields the refusal names, the rule): what the API refuses with 422 although
# the JSON schema allows it, because the rule spans fields or depends on stored data.
Rules = tuple[tuple[tuple[str, ...], str], ...]
_LAT_LON = (("lat", "lon"), "lat and lon are given together, or neither")
_SKILLS = "every skill code names a skill of the catalog (GET /api/v1/skills)"
_WINDOW = (("window_start", "window_end"), "window_end is after window_start")
_VISIT_DATA: Rules = (
    _WINDOW,
    (("required_skills",), _SKILLS),
    (("site_id", "order_id"), "the site and the order belong to the visit's customer"),
    (("depends_on_visit_id",), "a visit does not depend on itself"),
    (
        ("technician_id",),
        "the technician exists, is active, has the required skills and works that day",
    ),
    (("lock",), "a lock to technician or time needs that technician or time planned"),
    (
        ("planned_start",),
        "the planned start leaves the technician free and a break, and keeps the customer's "
        "window and a hard SLA",
    ),
)
_SLA = (("resolution_min",), "resolution_min is not shorter than response_min")
_SHIFTS = (("shift_pattern",), "each shift starts before it ends; a day's shifts do not overlap")
_TECHNICIAN: Rules = ((("skills",), _SKILLS), _SHIFTS)
_REPAIR_FORM: Rules = (
    (("phone", "order_number"), "the phone and order number identify one of our orders"),
    (("draft",), "the draft sealed by the previous step, not older than two hours"),
    (("description",), "a description of 2 to 2000 characters once blanks are trimmed"),
    (("solved",), "one of the offered articles, or none"),
    (
        ("product", "window", "photos"),
        "one of the order's products, one to three of the offered windows, at most six photos "
        "(JPEG, PNG or WebP within the photo size)",
    ),
)
_CHECKLIST: Rules = ((("items",), "item keys are unique within the template"),)
RULES: dict[tuple[str, str], Rules] = {
    ("post", "/api/v1/sites"): (_LAT_LON,),
    ("patch", "/api/v1/sites/{site_id}"): (_LAT_LON,),
    ("post", "/api/v1/visits"): _VISIT_DATA,
    ("patch", "/api/v1/visits/{visit_id}"): _VISIT_DATA,
    ("post", "/api/v1/technicians"): _TECHNICIAN,
    ("patch", "/api/v1/technicians/{technician_id}"): _TECHNICIAN,
    ("post", "/api/v1/sla/policies"): (_SLA,),
    ("patch", "/api/v1/sla/policies/{policy_id}"): (_SLA,),
    ("post", "/api/v1/checklist-templates"): _CHECKLIST,
    ("patch", "/api/v1/checklist-templates/{template_id}"): _CHECKLIST,
    ("get", "/api/v1/metrics"): ((("to",), "to is not before from"),),
    ("get", "/api/v1/metrics/{metric}"): ((("to",), "to is not before from"),),
    ("post", "/api/v1/users/me/password"): (
        (("current_password",), "current_password is the user's password"),
    ),
    # The form's steps answer pages, not named fields: the first step must name a stored order
    # (phone and order number), later steps carry the earlier ones sealed in `draft`.
    ("post", "/request"): _REPAIR_FORM,
    ("post", "/p/{token}/request"): _REPAIR_FORM,
}
_VERSION_AGREES = (("version",), "when If-Match is sent too, it names the same version")

PRECONDITION_REQUIRED = {
    "description": "Neither If-Match nor `version` names the version the change is based on",
    "content": {"application/json": {"schema": ERROR_REF}},
}
METHOD_NOT_ALLOWED = {
    "description": "The path does not accept this method; `Allow` lists those it does",
    "headers": {"Allow": {"schema": {"type": "string"}}},
    "content": {"application/json": {"schema": ERROR_REF}},
}


def complete(spec: dict[str, Any], *, photo_max_bytes: int) -> dict[str, Any]:
    """The document with what the decorators cannot say filled in."""
    spec = copy.deepcopy(spec)
    _upload_limit(spec, photo_max_bytes)
    spec.setdefault("components", {}).setdefault("headers", {})["PAGINATION"] = PAGINATION_HEADER
    schemas = spec["components"].get("schemas", {})
    for path, item in spec.get("paths", {}).items():
        _parameters(path, item.get("parameters", []))
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
            _parameters(path, operation.get("parameters", []))
            rules = RULES.get((method, path), ())
            if method == "patch" and _body_has_version(operation, schemas):
                _require_version(operation)
                rules = (*rules, _VERSION_AGREES)
            if rules:
                responses["422"] = _refusals(rules)
            if not path.startswith(("/api/", "/mobile/")):
                _page(path, responses)
    return spec


def _parameters(path: str, parameters: list[dict[str, Any]]) -> None:
    for parameter in parameters:
        schema = parameter.setdefault("schema", {})
        if parameter.get("in") == "query" and parameter.get("name") == "page":
            schema["maximum"] = MAX_PAGE
        if parameter.get("in") == "path" and (path, parameter.get("name")) in _PATH_CHOICES:
            schema["enum"] = _PATH_CHOICES[(path, parameter["name"])]


def _require_version(operation: dict[str, Any]) -> None:
    """`version` is required in the body, `If-Match` may stand in for it; 428 without either."""
    operation["responses"]["428"] = PRECONDITION_REQUIRED
    operation.setdefault("parameters", []).append(IF_MATCH)
    body = operation["requestBody"]["content"]["application/json"]
    body["schema"] = {"allOf": [body["schema"], {"required": ["version"]}]}


def _refusals(rules: Rules) -> dict[str, Any]:
    listed = "; ".join(f"{', '.join(fields)}: {rule}" for fields, rule in rules)
    return {
        "description": (
            "Invalid or unknown fields, or a rule the schema cannot state (the answer's "
            f"`errors` names the field): {listed}"
        ),
        "content": {"application/json": {"schema": ERROR_REF}},
        "x-rules": [{"fields": list(fields), "rule": rule} for fields, rule in rules],
    }


def _upload_limit(spec: dict[str, Any], photo_max_bytes: int) -> None:
    """An upload larger than the configured photo size is refused (413): say how large."""
    start = spec.get("components", {}).get("schemas", {}).get("StartUpload")
    if start is not None:
        start["properties"]["size"]["maximum"] = photo_max_bytes


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


@dataclass(frozen=True)
class Request:
    """What the document lets a request to one operation carry (and needs it to)."""

    query: frozenset[str]
    body_required: bool


def documented_requests(spec: dict[str, Any]) -> dict[tuple[str, str], Request]:
    """(path, method) -> the query parameters and body the document gives the operation."""
    known: dict[tuple[str, str], Request] = {}
    for path, item in spec.get("paths", {}).items():
        shared = [p for p in item.get("parameters", []) if p.get("in") == "query"]
        for method, operation in item.items():
            if method in _METHODS:
                own = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
                known[(path, method)] = Request(
                    query=frozenset(p["name"] for p in (*shared, *own)),
                    body_required=_json_body_required(operation.get("requestBody", {})),
                )
    return known


def _json_body_required(body: dict[str, Any]) -> bool:
    # Raw bytes (an upload's part) may be empty; a JSON body never is.
    return bool(body.get("required")) and "application/json" in body.get("content", {})


def refuse_undocumented(
    app: Flask, rule: str, method: str, names: Iterable[str], body: bytes
) -> None:
    """422 naming each query parameter the operation's document does not give it, or a
    missing body the document requires (an absent body would otherwise read as `{}`).

    Paths the document does not describe (the document itself, its viewer) are left alone.
    """
    known = app.extensions.get("documented_requests")
    if known is None:
        from app.extensions import api  # the extension module imports this one's importer

        known = app.extensions["documented_requests"] = documented_requests(api.spec.to_dict())
    verb = "get" if method == "HEAD" else method.lower()
    allowed = known.get((FlaskPlugin.flaskpath2openapi(rule), verb))
    if allowed is None:
        return
    unknown = sorted(set(names) - allowed.query)
    if unknown:
        raise ValidationFailed(
            "unknown query parameters: %(names)s",
            params={"names": ", ".join(unknown)},
            fields={name: ["Unknown field."] for name in unknown},
        )
    if allowed.body_required and not body.strip():
        raise ValidationFailed("the request needs a body", fields={"body": ["required"]})
