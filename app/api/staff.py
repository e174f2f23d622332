"""Users, skills, depots and technicians: the people and means of the service."""

from __future__ import annotations

import itertools
import re
from typing import Any
from zoneinfo import available_timezones

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate
from sqlalchemy import select

from app.api.concurrency import check_update
from app.api.fields import (
    BoundedDate,
    JsonBoolean,
    Latitude,
    ListQuery,
    Longitude,
    RecordSchema,
    SkillLevelSchema,
    Strict,
    patch_of,
)
from app.api.pagination import SelectPage
from app.api.security import ANY_ROLE, STAFF, current_user, requires
from app.config import LOCALES
from app.database import db, utcnow
from app.errors import NotFound
from app.models import Depot, Role, Skill, Technician, User
from app.models.technicians import WEEKDAYS
from app.services import accounts
from app.services.access import technician_id_of
from app.services.records import apply_changes, delete_record, ensure_unique, get_or_404
from app.services.technicians import refuse_stranding_published_work
from app.services.visits import set_technician_skills

users = Blueprint("users", __name__, url_prefix="/api/v1/users")
skills = Blueprint("skills", __name__, url_prefix="/api/v1/skills")
depots = Blueprint("depots", __name__, url_prefix="/api/v1/depots")
technicians = Blueprint("technicians", __name__, url_prefix="/api/v1/technicians")

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _language_field(**kwargs: Any) -> ma.fields.String:
    return ma.fields.String(
        allow_none=True,
        validate=validate.OneOf(LOCALES),
        metadata={
            "description": "Language of pages, errors and messages for this person; "
            "null follows the browser, then the server's DEFAULT_LOCALE"
        },
        **kwargs,
    )


class UserSchema(Strict):
    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.Email(required=True)
    name = ma.fields.String(required=True, validate=validate.Length(1, 120))
    role = ma.fields.Enum(Role, by_value=True, required=True)
    active = JsonBoolean(load_default=True)
    password = ma.fields.String(load_only=True, required=True, validate=validate.Length(8, 200))
    language = _language_field()


class UserUpdateSchema(Strict):
    name = ma.fields.String(validate=validate.Length(1, 120))
    role = ma.fields.Enum(Role, by_value=True)
    active = JsonBoolean()
    password = ma.fields.String(load_only=True, validate=validate.Length(8, 200))
    language = _language_field()


class MyPreferencesSchema(Strict):
    language = _language_field(required=True)


class SkillSchema(Strict):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String(
        required=True, validate=[validate.Length(1, 40), validate.Regexp(r"^[a-z0-9_]+$")]
    )
    name = ma.fields.String(required=True, validate=validate.Length(1, 120))


class DepotSchema(Strict):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=validate.Length(1, 120))
    lat = Latitude(required=True)
    lon = Longitude(required=True)


def _validate_shift_pattern(pattern: dict[str, Any]) -> None:
    # The document states the days and the "HH:MM" form; these rules span several values.
    for day, shifts in pattern.items():
        for start, end in shifts:
            if start >= end:
                raise ma.ValidationError(f"{day}: each shift starts before it ends")
        ordered = sorted(shifts)
        for (_, end), (start, _) in itertools.pairwise(ordered):
            if start < end:
                raise ma.ValidationError(f"{day}: shifts overlap")


def _shift() -> ma.fields.List:
    """One shift: ["HH:MM", "HH:MM"], start before end."""
    return ma.fields.List(
        ma.fields.String(validate=validate.Regexp(_HHMM.pattern, error="not HH:MM")),
        validate=validate.Length(2, 2),
    )


ShiftPatternSchema = Strict.from_dict(
    {day: ma.fields.List(_shift()) for day in WEEKDAYS}, name="ShiftPatternSchema"
)
# Every IANA zone this server knows, so the document can list them.
TIME_ZONES = sorted(available_timezones())


class StoredDate(BoundedDate):
    """A date read from ISO text and stored as ISO text in a JSON column."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value if isinstance(value, str) else super()._serialize(value, attr, obj, **kwargs)


class TechnicianSchema(RecordSchema):
    user_id = ma.fields.Integer(allow_none=True)
    name = ma.fields.String(required=True, validate=validate.Length(1, 120))
    phone = ma.fields.String(allow_none=True, validate=validate.Length(max=40))
    depot_id = ma.fields.Integer(allow_none=True)
    home_lat = Latitude(required=True)
    home_lon = Longitude(required=True)
    time_zone = ma.fields.String(
        load_default="Asia/Shanghai",
        validate=validate.OneOf(TIME_ZONES, error="not an IANA time zone, e.g. Asia/Shanghai"),
    )
    shift_pattern = ma.fields.Nested(
        ShiftPatternSchema,
        load_default=dict,
        validate=_validate_shift_pattern,
        metadata={"description": 'Shifts per weekday, e.g. {"mon": [["08:00", "12:00"]]}'},
    )
    days_off = ma.fields.List(StoredDate(), load_default=list)
    active = JsonBoolean(load_default=True)
    skills = ma.fields.List(ma.fields.Nested(SkillLevelSchema), load_default=list)

    @ma.post_dump(pass_original=True)
    def _dump_skills(self, data: dict[str, Any], original: Technician, **_: Any) -> dict:
        data["skills"] = [{"code": s.skill.code, "level": s.level} for s in original.skills]
        return data


class TechnicianQuery(ListQuery):
    skill = ma.fields.String()
    depot_id = ma.fields.Integer()
    active = ma.fields.Boolean()


def _save_technician(technician: Technician, data: dict[str, Any]) -> Technician:
    skill_levels = data.pop("skills", None)
    if "days_off" in data:
        data["days_off"] = sorted({d.isoformat() for d in data["days_off"]})
    if data.get("depot_id") is not None:
        get_or_404(db.session, Depot, data["depot_id"])
    if data.get("user_id") is not None:
        get_or_404(db.session, User, data["user_id"])
    apply_changes(technician, data)
    if skill_levels is not None:
        set_technician_skills(
            db.session, technician, ((s["code"], s["level"]) for s in skill_levels)
        )
    return technician


@users.route("", strict_slashes=False)
class Users(MethodView):
    @requires(Role.ADMIN)
    @users.response(200, UserSchema(many=True))
    @users.paginate(SelectPage)
    def get(self) -> Any:
        """List user accounts"""
        return select(User).order_by(User.id)

    @requires(Role.ADMIN)
    @users.arguments(UserSchema)
    @users.response(201, UserSchema)
    def post(self, data: dict[str, Any]) -> User:
        """Create a user account"""
        user = accounts.create_user(
            db.session,
            email=data["email"],
            name=data["name"],
            password=data["password"],
            role=data["role"],
        )
        user.active = data["active"]
        user.language = data.get("language")
        db.session.commit()
        return user


@users.route("/me")
class Me(MethodView):
    @requires(*ANY_ROLE)
    @users.response(200, UserSchema)
    def get(self) -> User:
        """The signed-in user"""
        return current_user()

    @requires(*ANY_ROLE)
    @users.arguments(MyPreferencesSchema)
    @users.response(200, UserSchema)
    def patch(self, data: dict[str, Any]) -> User:
        """Change the signed-in user's own language"""
        user = current_user()
        user.language = data["language"]
        db.session.commit()
        return user


class PasswordChangeSchema(Strict):
    current_password = ma.fields.String(
        required=True, load_only=True, validate=validate.Length(1, 200)
    )
    new_password = ma.fields.String(
        required=True, load_only=True, validate=validate.Length(8, 200)
    )


@users.route("/me/password")
class MyPassword(MethodView):
    @requires(*ANY_ROLE)
    @users.arguments(PasswordChangeSchema)
    @users.response(204)
    def post(self, data: dict[str, Any]) -> None:
        """Change one's own password; every session, this one included, is signed out"""
        user = current_user()
        accounts.change_own_password(
            db.session, user, data["current_password"], data["new_password"]
        )
        db.session.commit()


@users.route("/<int:user_id>")
class UserById(MethodView):
    @requires(Role.ADMIN)
    @users.arguments(UserUpdateSchema)
    @users.response(200, UserSchema)
    def patch(self, data: dict[str, Any], user_id: int) -> User:
        """Change a user's name, role, password or active flag

        A new password or deactivation signs the user out everywhere (tokens, phones,
        console). The last active admin cannot be demoted or deactivated (409 `last_admin`).
        """
        user = get_or_404(db.session, User, user_id)
        accounts.change_user(db.session, user, data)
        db.session.commit()
        return user


@skills.route("", strict_slashes=False)
class Skills(MethodView):
    @requires(*ANY_ROLE)
    @skills.response(200, SkillSchema(many=True))
    @skills.paginate(SelectPage)
    def get(self) -> Any:
        """List skills"""
        return select(Skill).order_by(Skill.code)

    @requires(*STAFF)
    @skills.arguments(SkillSchema)
    @skills.response(201, SkillSchema)
    def post(self, data: dict[str, Any]) -> Skill:
        """Create a skill"""
        ensure_unique(db.session, Skill.code, data["code"], "code")
        skill = Skill(**data)
        db.session.add(skill)
        db.session.commit()
        return skill


@skills.route("/<int:skill_id>")
class SkillById(MethodView):
    @requires(*ANY_ROLE)
    @skills.response(200, SkillSchema)
    def get(self, skill_id: int) -> Skill:
        """Get a skill"""
        return get_or_404(db.session, Skill, skill_id)

    @requires(*STAFF)
    @skills.arguments(patch_of(SkillSchema))
    @skills.response(200, SkillSchema)
    def patch(self, data: dict[str, Any], skill_id: int) -> Skill:
        """Rename a skill"""
        skill = apply_changes(get_or_404(db.session, Skill, skill_id), data)
        db.session.commit()
        return skill

    @requires(*STAFF)
    @skills.response(204)
    def delete(self, skill_id: int) -> None:
        """Delete a skill no technician or visit uses"""
        delete_record(db.session, get_or_404(db.session, Skill, skill_id))
        db.session.commit()


@depots.route("", strict_slashes=False)
class Depots(MethodView):
    @requires(*ANY_ROLE)
    @depots.response(200, DepotSchema(many=True))
    @depots.paginate(SelectPage)
    def get(self) -> Any:
        """List depots"""
        return select(Depot).order_by(Depot.id)

    @requires(*STAFF)
    @depots.arguments(DepotSchema)
    @depots.response(201, DepotSchema)
    def post(self, data: dict[str, Any]) -> Depot:
        """Create a depot"""
        ensure_unique(db.session, Depot.name, data["name"], "name")
        depot = Depot(**data)
        db.session.add(depot)
        db.session.commit()
        return depot


@depots.route("/<int:depot_id>")
class DepotById(MethodView):
    @requires(*ANY_ROLE)
    @depots.response(200, DepotSchema)
    def get(self, depot_id: int) -> Depot:
        """Get a depot"""
        return get_or_404(db.session, Depot, depot_id)

    @requires(*STAFF)
    @depots.arguments(patch_of(DepotSchema))
    @depots.response(200, DepotSchema)
    def patch(self, data: dict[str, Any], depot_id: int) -> Depot:
        """Update a depot"""
        depot = apply_changes(get_or_404(db.session, Depot, depot_id), data)
        db.session.commit()
        return depot

    @requires(*STAFF)
    @depots.response(204)
    def delete(self, depot_id: int) -> None:
        """Delete a depot no technician belongs to"""
        delete_record(db.session, get_or_404(db.session, Depot, depot_id))
        db.session.commit()


@technicians.route("", strict_slashes=False)
class Technicians(MethodView):
    @requires(*STAFF)
    @technicians.arguments(TechnicianQuery, location="query")
    @technicians.response(200, TechnicianSchema(many=True))
    @technicians.paginate(SelectPage)
    def get(self, query: dict[str, Any]) -> Any:
        """List technicians (filter by skill code, depot, active; search by name)"""
        from app.models import TechnicianSkill

        stmt = select(Technician).order_by(Technician.id)
        if "q" in query:
            stmt = stmt.where(Technician.name.icontains(query["q"], autoescape=True))
        if "depot_id" in query:
            stmt = stmt.where(Technician.depot_id == query["depot_id"])
        if "active" in query:
            stmt = stmt.where(Technician.active == query["active"])
        if "skill" in query:
            stmt = stmt.where(
                Technician.skills.any(TechnicianSkill.skill.has(Skill.code == query["skill"]))
            )
        return stmt

    @requires(*STAFF)
    @technicians.arguments(TechnicianSchema)
    @technicians.response(201, TechnicianSchema)
    def post(self, data: dict[str, Any]) -> Technician:
        """Create a technician"""
        data.pop("version", None)
        # Added only once filled in: the lookups of its depot and login would otherwise
        # flush a half-built row and fail on its empty required columns.
        technician = _save_technician(Technician(), data)
        db.session.add(technician)
        db.session.commit()
        return technician


@technicians.route("/<int:technician_id>")
class TechnicianById(MethodView):
    @requires(*ANY_ROLE)
    @technicians.response(200, TechnicianSchema)
    def get(self, technician_id: int) -> Technician:
        """Get a technician (technicians: only themselves)"""
        user = current_user()
        if user.role == Role.TECHNICIAN and technician_id_of(db.session, user) != technician_id:
            raise NotFound("technician %(id)s does not exist", params={"id": technician_id})
        return get_or_404(db.session, Technician, technician_id)

    @requires(*STAFF)
    @technicians.arguments(patch_of(TechnicianSchema))
    @technicians.response(200, TechnicianSchema)
    @technicians.alt_response(
        409, description="A stale version, or published visits the change would strand"
    )
    def patch(self, data: dict[str, Any], technician_id: int) -> Technician:
        """Update a technician (send If-Match or `version`)

        Refused with 409 `published_work_affected` (naming the visits in `details.visit_ids`)
        when the change would leave published visits infeasible: a skill they need removed,
        their shift or day gone, the technician deactivated. Move or unschedule them first.
        """
        technician = get_or_404(db.session, Technician, technician_id)
        check_update(technician, data)
        _save_technician(technician, data)
        refuse_stranding_published_work(db.session, technician, utcnow())
        db.session.commit()
        return technician

    @requires(*STAFF)
    @technicians.response(204)
    def delete(self, technician_id: int) -> None:
        """Delete a technician who has no visits (deactivate the others instead)"""
        delete_record(db.session, get_or_404(db.session, Technician, technician_id))
        db.session.commit()
