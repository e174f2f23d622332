"""Customers, their sites and orders."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate
from sqlalchemy import select

from app.api.concurrency import check_update
from app.api.fields import Latitude, ListQuery, Longitude, RecordSchema, patch_of
from app.api.pagination import SelectPage
from app.api.security import ANY_ROLE, STAFF, current_user, requires
from app.database import db
from app.models import Customer, CustomerTier, Order, OrderStage, Site
from app.services import access
from app.services.orders import create_order, set_order_stage
from app.services.records import apply_changes, delete_record, get_or_404

customers = Blueprint("customers", __name__, url_prefix="/api/v1/customers")
sites = Blueprint("sites", __name__, url_prefix="/api/v1/sites")
orders = Blueprint("orders", __name__, url_prefix="/api/v1/orders")


class CustomerSchema(RecordSchema):
    name = ma.fields.String(required=True, validate=validate.Length(1, 200))
    phone = ma.fields.String(allow_none=True, validate=validate.Length(max=40))
    email = ma.fields.Email(allow_none=True)
    tier = ma.fields.Enum(CustomerTier, by_value=True, load_default=CustomerTier.STANDARD)
    tags = ma.fields.List(ma.fields.String(validate=validate.Length(1, 40)), load_default=list)


class CustomerQuery(ListQuery):
    tier = ma.fields.Enum(CustomerTier, by_value=True)
    tag = ma.fields.String()


class SiteSchema(RecordSchema):
    customer_id = ma.fields.Integer(required=True)
    address = ma.fields.String(required=True, validate=validate.Length(1, 300))
    lat = Latitude(allow_none=True)
    lon = Longitude(allow_none=True)
    access_notes = ma.fields.String(allow_none=True, validate=validate.Length(max=2000))

    @ma.validates_schema
    def _both_coordinates(self, data: dict[str, Any], **_: Any) -> None:
        if ("lat" in data) != ("lon" in data) or (
            (data.get("lat") is None) != (data.get("lon") is None)
        ):
            raise ma.ValidationError("give lat and lon together", "lat")


class SiteQuery(ListQuery):
    customer_id = ma.fields.Integer()


class OrderSchema(RecordSchema):
    customer_id = ma.fields.Integer(required=True)
    site_id = ma.fields.Integer(allow_none=True)
    product_line = ma.fields.String(required=True, validate=validate.Length(1, 80))
    stage = ma.fields.Enum(OrderStage, by_value=True, load_default=OrderStage.LEAD)
    reference = ma.fields.String(allow_none=True, validate=validate.Length(1, 40))


class OrderQuery(ListQuery):
    customer_id = ma.fields.Integer()
    stage = ma.fields.Enum(OrderStage, by_value=True)


@customers.route("", strict_slashes=False)
class Customers(MethodView):
    @requires(*STAFF)
    @customers.arguments(CustomerQuery, location="query")
    @customers.response(200, CustomerSchema(many=True))
    @customers.paginate(SelectPage)
    def get(self, query: dict[str, Any]) -> Any:
        """List customers (search name, phone, email, address, order number; filter tier, tag)"""
        return access.customer_search(query)

    @requires(*STAFF)
    @customers.arguments(CustomerSchema)
    @customers.response(201, CustomerSchema)
    def post(self, data: dict[str, Any]) -> Customer:
        """Create a customer"""
        data.pop("version", None)
        customer = Customer(**data)
        db.session.add(customer)
        db.session.commit()
        return customer


@customers.route("/<int:customer_id>")
class CustomerById(MethodView):
    @requires(*ANY_ROLE)
    @customers.response(200, CustomerSchema)
    def get(self, customer_id: int) -> Customer:
        """Get a customer (technicians: only customers of their own visits)"""
        return access.visible_customer(db.session, current_user(), customer_id)

    @requires(*STAFF)
    @customers.arguments(patch_of(CustomerSchema))
    @customers.response(200, CustomerSchema)
    def patch(self, data: dict[str, Any], customer_id: int) -> Customer:
        """Update a customer (send If-Match or `version`)"""
        customer = get_or_404(db.session, Customer, customer_id)
        check_update(customer, data)
        apply_changes(customer, data)
        db.session.commit()
        return customer

    @requires(*STAFF)
    @customers.response(204)
    def delete(self, customer_id: int) -> None:
        """Delete a customer that has no sites, orders or visits left"""
        delete_record(db.session, get_or_404(db.session, Customer, customer_id))
        db.session.commit()


@sites.route("", strict_slashes=False)
class Sites(MethodView):
    @requires(*STAFF)
    @sites.arguments(SiteQuery, location="query")
    @sites.response(200, SiteSchema(many=True))
    @sites.paginate(SelectPage)
    def get(self, query: dict[str, Any]) -> Any:
        """List sites"""
        stmt = select(Site).order_by(Site.id)
        if "customer_id" in query:
            stmt = stmt.where(Site.customer_id == query["customer_id"])
        if "q" in query:
            stmt = stmt.where(Site.address.icontains(query["q"], autoescape=True))
        return stmt

    @requires(*STAFF)
    @sites.arguments(SiteSchema)
    @sites.response(201, SiteSchema)
    def post(self, data: dict[str, Any]) -> Site:
        """Create a site for a customer"""
        data.pop("version", None)
        get_or_404(db.session, Customer, data["customer_id"])
        site = Site(**data)
        db.session.add(site)
        db.session.commit()
        return site


@sites.route("/<int:site_id>")
class SiteById(MethodView):
    @requires(*ANY_ROLE)
    @sites.response(200, SiteSchema)
    def get(self, site_id: int) -> Site:
        """Get a site (technicians: only sites of their own visits)"""
        return access.visible_site(db.session, current_user(), site_id)

    @requires(*STAFF)
    @sites.arguments(patch_of(SiteSchema))
    @sites.response(200, SiteSchema)
    def patch(self, data: dict[str, Any], site_id: int) -> Site:
        """Update a site (send If-Match or `version`)"""
        site = get_or_404(db.session, Site, site_id)
        check_update(site, data)
        if "customer_id" in data:
            get_or_404(db.session, Customer, data["customer_id"])
        apply_changes(site, data)
        db.session.commit()
        return site

    @requires(*STAFF)
    @sites.response(204)
    def delete(self, site_id: int) -> None:
        """Delete a site no visit or order points to"""
        delete_record(db.session, get_or_404(db.session, Site, site_id))
        db.session.commit()


@orders.route("", strict_slashes=False)
class Orders(MethodView):
    @requires(*STAFF)
    @orders.arguments(OrderQuery, location="query")
    @orders.response(200, OrderSchema(many=True))
    @orders.paginate(SelectPage)
    def get(self, query: dict[str, Any]) -> Any:
        """List orders"""
        stmt = select(Order).order_by(Order.id)
        if "customer_id" in query:
            stmt = stmt.where(Order.customer_id == query["customer_id"])
        if "stage" in query:
            stmt = stmt.where(Order.stage == query["stage"])
        if "q" in query:
            stmt = stmt.where(Order.product_line.icontains(query["q"], autoescape=True))
        return stmt

    @requires(*STAFF)
    @orders.arguments(OrderSchema)
    @orders.response(201, OrderSchema)
    def post(self, data: dict[str, Any]) -> Order:
        """Create an order"""
        data.pop("version", None)
        access.check_order_links(db.session, data)
        # Through the service: the order's first stage is dated and its progress link sent.
        order = create_order(db.session, data, actor_user_id=current_user().id)
        db.session.commit()
        return order


@orders.route("/<int:order_id>")
class OrderById(MethodView):
    @requires(*ANY_ROLE)
    @orders.response(200, OrderSchema)
    def get(self, order_id: int) -> Order:
        """Get an order (technicians: only orders of their own visits)"""
        return access.visible_order(db.session, current_user(), order_id)

    @requires(*STAFF)
    @orders.arguments(patch_of(OrderSchema))
    @orders.response(200, OrderSchema)
    def patch(self, data: dict[str, Any], order_id: int) -> Order:
        """Update an order, e.g. move its stage (send If-Match or `version`)"""
        order = get_or_404(db.session, Order, order_id)
        check_update(order, data)
        access.check_order_links(db.session, {**_order_links(order), **data})
        stage = data.pop("stage", None)
        apply_changes(order, data)
        if stage is not None:
            # Through the service, so the rules see the order move (e.g. confirmed -> install).
            set_order_stage(db.session, order, stage, actor_user_id=current_user().id)
        db.session.commit()
        return order

    @requires(*STAFF)
    @orders.response(204)
    def delete(self, order_id: int) -> None:
        """Delete an order no visit points to"""
        delete_record(db.session, get_or_404(db.session, Order, order_id))
        db.session.commit()


def _order_links(order: Order) -> dict[str, Any]:
    return {"customer_id": order.customer_id, "site_id": order.site_id}
