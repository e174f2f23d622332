"""Satisfaction and service figures by ISO week: JSON, or CSV with ?format=csv or Accept."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from app.api.fields import BoundedDate, Strict
from app.api.security import STAFF, requires
from app.api.settings import local_zone
from app.database import db, utcnow
from app.services import metrics

blp = Blueprint(
    "metrics", __name__, url_prefix="/api/v1/metrics", description="Satisfaction figures"
)


class MetricQuery(Strict):
    by = ma.fields.String(load_default=metrics.ALL, validate=validate.OneOf(metrics.SLICES))
    from_ = BoundedDate(data_key="from", metadata={"description": "First day (local)"})
    to = BoundedDate(metadata={"description": "Last day, included (local)"})
    format = ma.fields.String(validate=validate.OneOf(["json", "csv"]))


class PointSchema(Strict):
    week = ma.fields.String()
    value = ma.fields.Float(allow_none=True)
    n = ma.fields.Integer()


class SliceSchema(Strict):
    slice = ma.fields.String()
    points = ma.fields.List(ma.fields.Nested(PointSchema))


class SeriesSchema(Strict):
    metric = ma.fields.String()
    label = ma.fields.String()
    unit = ma.fields.String()
    by = ma.fields.String()
    from_ = ma.fields.String(data_key="from")
    to = ma.fields.String()
    weeks = ma.fields.List(ma.fields.String())
    series = ma.fields.List(ma.fields.Nested(SliceSchema))


def period(args: dict[str, Any]) -> tuple[dt.date, dt.date]:
    """The requested period, defaulting to the last eight ISO weeks."""
    first, last = metrics.default_period(utcnow().astimezone(local_zone()).date())
    return args.get("from_") or first, args.get("to") or last


def wants_csv(args: dict[str, Any]) -> bool:
    if "format" in args:
        return args["format"] == "csv"
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv"


def csv_response(text: str, filename: str) -> Response:
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blp.route("", strict_slashes=False)
class MetricList(MethodView):
    @requires(*STAFF)
    @blp.arguments(MetricQuery, location="query")
    @blp.response(200, SeriesSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Every figure by week (and slice); CSV with ?format=csv"""
        first, last = period(args)
        all_series = [
            metrics.compute(
                db.session, name, by=args["by"], first_day=first, last_day=last, tz=local_zone()
            )
            for name in metrics.METRICS
        ]
        if wants_csv(args):
            text = "".join(
                s.to_csv() if i == 0 else s.to_csv().split("\n", 1)[1]
                for i, s in enumerate(all_series)
            )
            return csv_response(text, f"figures-{args['by']}-{first}-{last}.csv")
        return [s.to_dict() for s in all_series]


@blp.route("/<metric>")
class MetricById(MethodView):
    @requires(*STAFF)
    @blp.arguments(MetricQuery, location="query")
    @blp.response(200, SeriesSchema)
    def get(self, args: dict[str, Any], metric: str) -> Any:
        """One figure (csat, nps, first_time_fix, time_to_resolve, sla_attainment,
        complaint_rate) by week and slice; CSV with ?format=csv or Accept: text/csv"""
        first, last = period(args)
        series = metrics.compute(
            db.session, metric, by=args["by"], first_day=first, last_day=last, tz=local_zone()
        )
        if wants_csv(args):
            return csv_response(series.to_csv(), f"{metric}-{args['by']}-{first}-{last}.csv")
        return series.to_dict()
