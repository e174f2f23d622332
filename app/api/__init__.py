"""The back-office and dispatcher HTTP API under /api/v1."""

from __future__ import annotations

from flask_smorest import Api

from app.api import (
    articles,
    auth,
    checklists,
    complaints,
    customer_requests,
    customers,
    customers_record,
    dispatch,
    help_pages,
    kb,
    metrics,
    photos,
    progress,
    ratings,
    repair_pages,
    reviews,
    sla,
    staff,
    visits,
)


def register_blueprints(api: Api) -> None:
    """Register every /api/v1 blueprint on the Api."""
    for blueprint in (
        auth.blp,
        staff.users,
        customers.customers,
        customers.sites,
        customers.orders,
        staff.skills,
        staff.depots,
        staff.technicians,
        visits.blp,
        checklists.blp,
        dispatch.blp,
        photos.blp,
        customers_record.blp,
        complaints.blp,
        ratings.blp,
        reviews.blp,
        ratings.links,
        metrics.blp,
        sla.blp,
        progress.blp,
        repair_pages.blp,
        customer_requests.blp,
        articles.blp,
        kb.blp,
        help_pages.blp,
        customer_requests.preferences,
    ):
        api.register_blueprint(blueprint)
