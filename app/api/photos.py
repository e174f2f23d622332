"""Photo uploads that survive bad networks, photo metadata, and fetching photos.

Upload protocol (content-addressed, resumable):

1. `POST /api/v1/uploads {"sha256", "size"}` opens an upload, or finds the open one for the
   same bytes (resume), or answers `complete: true` when the server already has them.
2. `PUT /api/v1/uploads/{id}` with header `Upload-Offset: <n>` and the raw bytes of a chunk
   (`application/octet-stream`). A chunk at the wrong offset answers 409 with
   `details.offset`: the offset to resume from. `GET /api/v1/uploads/{id}` says the same.
3. The last chunk is verified (SHA-256, a real JPEG/PNG/WebP within the size and pixel limits)
   and stored; a thumbnail is made in the background.

Photo metadata (`POST /api/v1/visits/{id}/photos`, or the sync push) may come before or after
the bytes; until the bytes arrive the photo shows as `pending`.
"""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
from flask import Response, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from app.api.fields import Latitude, Longitude, Strict, aware_datetime
from app.api.security import ANY_ROLE, current_user, requires
from app.api.settings import settings
from app.database import db
from app.errors import NotFound, ValidationFailed
from app.models import Photo, PhotoBlob, PhotoKind
from app.services import access, thumbnails
from app.services import photos as photo_service
from app.services.photos import PhotoMetadata, PhotoView

blp = Blueprint(
    "photos", __name__, url_prefix="/api/v1", description="Photo uploads and photo evidence"
)


class StartUploadSchema(Strict):
    sha256 = ma.fields.String(required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$"))
    size = ma.fields.Integer(required=True, validate=validate.Range(min=1))


class UploadStateSchema(Strict):
    id = ma.fields.String(allow_none=True)
    sha256 = ma.fields.String()
    size = ma.fields.Integer()
    offset = ma.fields.Integer(metadata={"description": "Bytes the server has; send from here"})
    complete = ma.fields.Boolean()
    expires_at = aware_datetime(allow_none=True)


# A UUID as text, as the phone makes it (8-4-4-4-12 hexadecimal digits).
UUID_TEXT = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class PhotoSchema(Strict):
    id = ma.fields.String(
        required=True,
        validate=validate.Regexp(UUID_TEXT, error="not a UUID"),
        metadata={"format": "uuid", "description": "Chosen by the phone: a UUID, 36 characters"},
    )
    visit_id = ma.fields.Integer(dump_only=True)
    sha256 = ma.fields.String(required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$"))
    kind = ma.fields.Enum(PhotoKind, by_value=True, load_default=PhotoKind.OTHER)
    caption = ma.fields.String(allow_none=True, validate=validate.Length(max=300))
    checklist_item_key = ma.fields.String(allow_none=True, validate=validate.Length(max=80))
    taken_at = aware_datetime(allow_none=True)
    device_time = aware_datetime(allow_none=True)
    gps_lat = Latitude(allow_none=True)
    gps_lon = Longitude(allow_none=True)
    status = ma.fields.String(
        dump_only=True, metadata={"description": "pending (no bytes yet), stored, or ready"}
    )
    content_type = ma.fields.String(dump_only=True, allow_none=True)
    width = ma.fields.Integer(dump_only=True, allow_none=True)
    height = ma.fields.Integer(dump_only=True, allow_none=True)
    url = ma.fields.String(dump_only=True)
    thumbnail_url = ma.fields.String(dump_only=True)


def photo_dump(view: PhotoView) -> dict[str, Any]:
    """A photo with its status and links, as PhotoSchema dumps it."""
    photo, blob = view.photo, view.blob
    return {
        "id": photo.id,
        "visit_id": photo.visit_id,
        "sha256": photo.sha256,
        "kind": photo.kind,
        "caption": photo.caption,
        "checklist_item_key": photo.checklist_item_key,
        "taken_at": photo.taken_at,
        "device_time": photo.device_time,
        "gps_lat": photo.gps_lat,
        "gps_lon": photo.gps_lon,
        "status": view.status,
        "content_type": blob.content_type if blob else None,
        "width": blob.width if blob else None,
        "height": blob.height if blob else None,
        "url": f"/api/v1/photos/{photo.id}/content",
        "thumbnail_url": f"/api/v1/photos/{photo.id}/thumbnail",
    }


@blp.route("/uploads", strict_slashes=False)
class Uploads(MethodView):
    @requires(*ANY_ROLE)
    @blp.arguments(StartUploadSchema)
    @blp.response(201, UploadStateSchema)
    @blp.alt_response(200, schema=UploadStateSchema, description="Resumed or already complete")
    @blp.alt_response(413, description="Larger than the configured photo size")
    def post(self, data: dict[str, Any]) -> Any:
        """Open a resumable upload of one photo's bytes (or resume / find it complete)"""
        state = photo_service.start_upload(
            db.session,
            settings(),
            sha256=data["sha256"],
            size=data["size"],
            user_id=current_user().id,
        )
        db.session.commit()
        fresh = state.offset == 0 and not state.complete
        return state, 201 if fresh else 200


@blp.route("/uploads/<upload_id>")
class UploadById(MethodView):
    @requires(*ANY_ROLE)
    @blp.response(200, UploadStateSchema)
    def get(self, upload_id: str) -> Any:
        """Where an upload stands: resume from `offset`"""
        return photo_service.upload_state(db.session, upload_id, user_id=current_user().id)

    @requires(*ANY_ROLE)
    @blp.doc(
        requestBody={
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        },
        parameters=[
            {
                "in": "header",
                "name": "Upload-Offset",
                "required": True,
                "schema": {"type": "integer", "minimum": 0},
                "description": "Where this chunk starts: the offset the server reported",
            }
        ],
    )
    @blp.response(200, UploadStateSchema)
    @blp.alt_response(409, description="Wrong offset: details.offset says where to resume")
    @blp.alt_response(422, description="Hash mismatch or not an acceptable image")
    def put(self, upload_id: str) -> Any:
        """Send a chunk (raw bytes) at the `Upload-Offset` header's offset"""
        offset = _offset_header()
        data = request.get_data(cache=False)
        try:
            state = photo_service.append_chunk(
                db.session,
                settings(),
                upload_id,
                offset=offset,
                data=data,
                user_id=current_user().id,
            )
        except ValidationFailed:
            # A failed final check resets the upload: keep that, so the client restarts at 0.
            db.session.commit()
            raise
        db.session.commit()
        return state


def _offset_header() -> int:
    raw = request.headers.get("Upload-Offset", request.args.get("offset", ""))
    try:
        offset = int(raw)
    except ValueError as exc:
        raise ValidationFailed(
            "send the chunk's offset in the Upload-Offset header",
            fields={"Upload-Offset": ["required, a whole number of bytes"]},
        ) from exc
    if offset < 0:
        raise ValidationFailed("offsets start at 0", fields={"Upload-Offset": ["negative"]})
    return offset


@blp.route("/visits/<int:visit_id>/photos")
class VisitPhotos(MethodView):
    @requires(*ANY_ROLE)
    @blp.response(200, PhotoSchema(many=True))
    def get(self, visit_id: int) -> list[dict[str, Any]]:
        """The visit's photos with their status (pending until the bytes arrive)"""
        access.visible_visit(db.session, current_user(), visit_id)
        views = photo_service.photos_of_visits(db.session, [visit_id]).get(visit_id, [])
        return [photo_dump(v) for v in views]

    @requires(*ANY_ROLE)
    @blp.arguments(PhotoSchema)
    @blp.response(201, PhotoSchema)
    def post(self, data: dict[str, Any], visit_id: int) -> dict[str, Any]:
        """Attach a photo's metadata to a visit (idempotent on the photo's id)"""
        user = current_user()
        access.visible_visit(db.session, user, visit_id)
        photo = photo_service.attach_photo(
            db.session, PhotoMetadata(visit_id=visit_id, **data), user_id=user.id
        )
        db.session.commit()
        return photo_dump(photo_service.photo_view(db.session, photo))


def _visible_photo(photo_id: str) -> PhotoView:
    try:
        uuid.UUID(photo_id)
    except ValueError as exc:
        raise NotFound("photo %(id)s does not exist", params={"id": photo_id}) from exc
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        raise NotFound("photo %(id)s does not exist", params={"id": photo_id})
    # Seeing a photo needs seeing its visit: another technician's photo answers 404.
    access.visible_visit(db.session, current_user(), photo.visit_id)
    return photo_service.photo_view(db.session, photo)


@blp.route("/photos/<photo_id>")
class PhotoById(MethodView):
    @requires(*ANY_ROLE)
    @blp.response(200, PhotoSchema)
    def get(self, photo_id: str) -> dict[str, Any]:
        """A photo's metadata and status"""
        return photo_dump(_visible_photo(photo_id))


@blp.route("/photos/<photo_id>/content")
class PhotoContent(MethodView):
    @requires(*ANY_ROLE)
    @blp.response(200, description="The image bytes")
    def get(self, photo_id: str) -> Response:
        """The photo's bytes (404 `photo_pending` until they arrive)"""
        return content_response(_stored(_visible_photo(photo_id)))


@blp.route("/photos/<photo_id>/thumbnail")
class PhotoThumbnail(MethodView):
    @requires(*ANY_ROLE)
    @blp.response(200, description="A JPEG thumbnail")
    def get(self, photo_id: str) -> Response:
        """The photo's thumbnail (404 `photo_pending` until the bytes arrive)"""
        return thumbnail_response(_stored(_visible_photo(photo_id)))


def _stored(view: PhotoView) -> PhotoBlob:
    if view.blob is None:
        raise NotFound(
            "photo %(id)s is pending: its bytes have not arrived yet",
            params={"id": view.photo.id},
            code="photo_pending",
            details={"status": "pending"},
        )
    return view.blob


def content_response(blob: PhotoBlob) -> Response:
    """The stored image bytes as they were uploaded."""
    store = photo_service.blob_store(settings())
    return _image_response(store.open(blob.sha256), blob.content_type, blob.sha256)


def thumbnail_response(blob: PhotoBlob) -> Response:
    """The stored thumbnail (made on this first request only when that is cheap)."""
    current = settings()
    key = thumbnails.thumbnail(current, blob)
    return _image_response(photo_service.blob_store(current).open(key), "image/jpeg", key)


def _image_response(stream: Any, mimetype: str, etag: str) -> Response:
    response = send_file(stream, mimetype=mimetype, etag=etag, max_age=3600, conditional=True)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
