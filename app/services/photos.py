"""Photo bytes: content-addressed storage, resumable uploads, image checks, EXIF and thumbnails.

Photo *metadata* (`Photo` rows: visit, kind, caption) and photo *bytes* (`PhotoBlob` rows plus
the stored file) meet only through the SHA-256, so either may arrive first. A photo whose
bytes have not arrived is "pending"; nothing is lost while the phone retries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol
from zoneinfo import ZoneInfo

from PIL import Image, UnidentifiedImageError
from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import Settings
from app.database import utcnow
from app.errors import AppError, Conflict, NotFound, ValidationFailed
from app.models import Photo, PhotoBlob, PhotoKind, Signature, UploadSession, Visit

log = logging.getLogger(__name__)

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011
_DATETIME = 0x0132


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"


class HashMismatch(ValidationFailed):
    code = "hash_mismatch"


class NotAnImage(ValidationFailed):
    code = "not_an_image"


# --- storage -------------------------------------------------------------------------------


class BlobStore(Protocol):
    """Where verified bytes live, addressed by their SHA-256."""

    def exists(self, key: str) -> bool:
        """Whether the blob is stored."""
        ...

    def open(self, key: str) -> IO[bytes]:
        """The stored bytes, for reading; NotFound when absent."""
        ...

    def put_file(self, key: str, source: Path) -> None:
        """Store a file's bytes under `key`, atomically."""
        ...

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store bytes under `key`, atomically."""
        ...

    def partial_path(self, upload_id: str) -> Path:
        """The local file collecting an unfinished upload's chunks."""
        ...


class LocalDiskStore:
    """Blobs as files under `root/blobs/ab/cd/<sha256>`, written atomically (temp + rename)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """The file of a blob key."""
        if not re.fullmatch(r"[0-9a-f]{64}(\.thumb\.jpg)?", key):
            raise ValueError(f"not a blob key: {key!r}")
        return self.root / "blobs" / key[:2] / key[2:4] / key

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def open(self, key: str) -> IO[bytes]:
        try:
            return self.path(key).open("rb")
        except FileNotFoundError as exc:
            raise NotFound("blob %(key)s… is not stored", params={"key": key[:12]}) from exc

    def put_file(self, key: str, source: Path) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as src:
            self._write_atomically(target, lambda out: _copy(src, out))

    def put_bytes(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        self._write_atomically(target, lambda out: out.write(data))

    def partial_path(self, upload_id: str) -> Path:
        folder = self.root / "partial"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / str(uuid.UUID(upload_id))

    @staticmethod
    def _write_atomically(target: Path, write: Callable[[IO[bytes]], Any]) -> None:
        # Readers see either no file or the whole file, never a torn one.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _copy(src: IO[bytes], out: IO[bytes]) -> None:
    while chunk := src.read(1024 * 1024):
        out.write(chunk)


def blob_store(settings: Settings) -> BlobStore:
    """The configured blob store (local disk under the upload folder)."""
    return LocalDiskStore(settings.upload_folder)


def thumbnail_key(sha256: str) -> str:
    """The blob key of a photo's thumbnail."""
    return f"{sha256}.thumb.jpg"


# --- image checks --------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageFacts:
    """What the bytes say about themselves."""

    content_type: str
    width: int
    height: int
    taken_at: dt.datetime | None
    gps_lat: float | None
    gps_lon: float | None


def inspect_image(path: Path, settings: Settings) -> ImageFacts:
    """Check the file is a real, reasonably sized image and read its EXIF capture facts."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                fmt = image.format or ""
                width, height = image.size
                if width * height > settings.photo_max_pixels:
                    raise NotAnImage(
                        "the image is %(width)sx%(height)s pixels; at most %(max)s pixels "
                        "are accepted",
                        params={"width": width, "height": height, "max": settings.photo_max_pixels},
                        code="image_too_large",
                    )
                image.verify()
            if fmt not in ALLOWED_FORMATS:
                raise NotAnImage(
                    "%(format)s images are not accepted; send JPEG, PNG or WebP",
                    params={"format": fmt or "?"},
                )
            with Image.open(path) as image:
                image.load()
                exif = image.getexif()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise NotAnImage(
            "the image decompresses to too many pixels", code="image_too_large"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage("the file is not a readable image") from exc
    taken_at = _exif_time(exif, ZoneInfo(settings.time_zone))
    lat, lon = _exif_gps(exif)
    return ImageFacts(ALLOWED_FORMATS[fmt], width, height, taken_at, lat, lon)


def _exif_time(exif: Image.Exif, zone: ZoneInfo) -> dt.datetime | None:
    sub = exif.get_ifd(_EXIF_IFD)
    raw = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not raw:
        return None
    try:
        naive = dt.datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = str(sub.get(_OFFSET_TIME_ORIGINAL) or "").strip("\x00 ")
    if re.fullmatch(r"[+-]\d\d:\d\d", offset):
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        tz: dt.tzinfo = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    else:
        # Cameras without an offset tag record local wall-clock time: read it in the service zone.
        tz = zone
    return naive.replace(tzinfo=tz).astimezone(dt.UTC)


def _exif_gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(_GPS_IFD)
    try:
        lat = _degrees(gps[2], gps.get(1, "N"), "S")
        lon = _degrees(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return round(lat, 7), round(lon, 7)


def _degrees(dms: Any, ref: Any, negative_ref: str) -> float:
    degrees, minutes, seconds = (float(part) for part in dms)
    value = degrees + minutes / 60 + seconds / 3600
    ref = ref.decode() if isinstance(ref, bytes) else str(ref)
    return -value if ref.strip("\x00 ").upper() == negative_ref else value


# --- resumable uploads ---------------------------------------------------------------------


@dataclass(frozen=True)
class UploadState:
    """Where an upload stands: the client sends the bytes from `offset` on."""

    id: str | None
    sha256: str
    size: int
    offset: int
    complete: bool
    expires_at: dt.datetime | None


def _state(upload: UploadSession) -> UploadState:
    return UploadState(
        upload.id,
        upload.sha256,
        upload.size,
        upload.received,
        upload.completed_at is not None,
        upload.expires_at,
    )


def start_upload(
    session: Session, settings: Settings, *, sha256: str, size: int, user_id: int | None
) -> UploadState:
    """Open (or resume) an upload of the blob `sha256`; an already stored blob is complete."""
    sha256 = check_sha256(sha256)
    if size <= 0:
        raise ValidationFailed("size must be positive", fields={"size": ["must be positive"]})
    if size > settings.photo_max_bytes:
        raise PayloadTooLarge(
            "photos are limited to %(max)s bytes",
            params={"max": settings.photo_max_bytes},
            details={"max_bytes": settings.photo_max_bytes},
        )
    blob = session.get(PhotoBlob, sha256)
    if blob is not None and holds_bytes(session, user_id, sha256):
        return UploadState(None, sha256, blob.size, blob.size, True, None)
    # Bytes stored for someone else are uploaded again: knowing a hash proves nothing, and
    # a completed upload is what lets this user's photos show those bytes.
    now = utcnow()
    existing = session.scalar(
        select(UploadSession)
        .where(
            UploadSession.user_id == user_id,
            UploadSession.sha256 == sha256,
            UploadSession.size == size,
            UploadSession.completed_at.is_(None),
            UploadSession.expires_at > now,
        )
        .order_by(UploadSession.received.desc())
        .limit(1)
    )
    if existing is not None:
        return _state(existing)
    upload = UploadSession(
        id=str(uuid.uuid4()),
        sha256=sha256,
        size=size,
        received=0,
        user_id=user_id,
        created_at=now,
        expires_at=now + dt.timedelta(hours=settings.upload_session_ttl_hours),
    )
    session.add(upload)
    session.flush()
    return _state(upload)


def upload_state(session: Session, upload_id: str, *, user_id: int | None) -> UploadState:
    """The current state of one of the user's uploads (what the server already has)."""
    return _state(_upload(session, upload_id, user_id=user_id))


def _upload(
    session: Session, upload_id: str, *, user_id: int | None, lock: bool = False
) -> UploadSession:
    # An upload belongs to whoever opened it: anyone else is told it does not exist.
    try:
        uuid.UUID(upload_id)
    except ValueError as exc:
        raise NotFound("upload %(id)s does not exist", params={"id": upload_id}) from exc
    stmt = select(UploadSession).where(
        UploadSession.id == upload_id, UploadSession.user_id == user_id
    )
    if lock:
        stmt = stmt.with_for_update()
    upload = session.scalar(stmt)
    if upload is None:
        raise NotFound("upload %(id)s does not exist", params={"id": upload_id})
    return upload


def append_chunk(
    session: Session,
    settings: Settings,
    upload_id: str,
    *,
    offset: int,
    data: bytes,
    user_id: int | None,
) -> UploadState:
    """Append a chunk at `offset`; the last chunk verifies and stores the blob.

    A chunk at the wrong offset is refused with the offset the server has, so the client
    resumes from there after a cut.
    """
    upload = _upload(session, upload_id, user_id=user_id, lock=True)
    if upload.completed_at is not None:
        return _state(upload)
    if upload.expires_at <= utcnow():
        raise NotFound(
            "upload %(id)s has expired; start a new one",
            params={"id": upload_id},
            code="upload_expired",
        )
    store = blob_store(settings)
    partial = store.partial_path(upload.id)
    on_disk = partial.stat().st_size if partial.exists() else 0
    # The file may hold bytes of a chunk whose transaction failed: trust the database.
    if on_disk != upload.received:
        with partial.open("ab") as out:
            out.truncate(upload.received)
    if offset != upload.received:
        raise Conflict(
            "upload %(id)s is at offset %(received)s, the chunk starts at %(offset)s",
            params={"id": upload_id, "received": upload.received, "offset": offset},
            code="offset_mismatch",
            details={"offset": upload.received},
        )
    if upload.received + len(data) > upload.size:
        raise ValidationFailed(
            "the chunk goes past the declared size of %(size)s bytes",
            params={"size": upload.size},
            code="upload_too_long",
            details={"offset": upload.received},
        )
    with partial.open("ab") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    upload.received += len(data)
    if upload.received == upload.size:
        _finish(session, settings, upload, partial, user_id=user_id)
    session.flush()
    return _state(upload)


def _finish(
    session: Session,
    settings: Settings,
    upload: UploadSession,
    partial: Path,
    *,
    user_id: int | None,
) -> None:
    actual = file_sha256(partial)
    if actual != upload.sha256:
        # Bad bytes are thrown away; the client starts again from offset 0.
        partial.unlink(missing_ok=True)
        upload.received = 0
        session.flush()
        raise HashMismatch(
            "the uploaded bytes do not match the declared SHA-256; upload again from offset 0",
            details={"expected": upload.sha256, "actual": actual, "offset": 0},
        )
    try:
        facts = inspect_image(partial, settings)
    except AppError:
        partial.unlink(missing_ok=True)
        upload.received = 0
        session.flush()
        raise
    store_blob(session, settings, upload.sha256, partial, facts, user_id=user_id)
    partial.unlink(missing_ok=True)
    upload.completed_at = utcnow()


def store_blob(
    session: Session,
    settings: Settings,
    sha256: str,
    source: Path,
    facts: ImageFacts,
    *,
    user_id: int | None,
) -> PhotoBlob:
    """Keep verified bytes, record their facts, fill pending photos and queue the thumbnail."""
    store = blob_store(settings)
    if not store.exists(sha256):
        store.put_file(sha256, source)
    blob = session.get(PhotoBlob, sha256)
    if blob is None:
        blob = PhotoBlob(
            sha256=sha256,
            size=source.stat().st_size,
            content_type=facts.content_type,
            width=facts.width,
            height=facts.height,
            taken_at=facts.taken_at,
            gps_lat=facts.gps_lat,
            gps_lon=facts.gps_lon,
            thumbnail_ready=False,
            uploaded_by_user_id=user_id,
        )
        try:
            with session.begin_nested():
                session.add(blob)
        except IntegrityError:
            # Two phones finished uploading the same bytes at once: the other row stands.
            blob = session.get(PhotoBlob, sha256, populate_existing=True)
            assert blob is not None
    for photo in session.scalars(select(Photo).where(Photo.sha256 == sha256)):
        _fill_from_blob(photo, blob)
    session.flush()
    from app.services.thumbnails import schedule_thumbnail  # thumbnails builds on this module

    schedule_thumbnail(session, settings, sha256)
    return blob


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while chunk := src.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def check_sha256(value: str) -> str:
    """A lower-case hex SHA-256, or ValidationFailed."""
    value = (value or "").strip().lower()
    if not SHA256_RE.match(value):
        raise ValidationFailed(
            "sha256 must be 64 hexadecimal characters", fields={"sha256": ["not a SHA-256"]}
        )
    return value


def holds_bytes(session: Session, user_id: int | None, sha256: str) -> bool:
    """Whether the user uploaded these bytes (first, or again through a completed upload)."""
    return bool(
        session.scalar(
            select(
                or_(
                    exists().where(
                        PhotoBlob.sha256 == sha256,
                        PhotoBlob.uploaded_by_user_id.is_not_distinct_from(user_id),
                    ),
                    exists().where(
                        UploadSession.sha256 == sha256,
                        UploadSession.user_id.is_not_distinct_from(user_id),
                        UploadSession.completed_at.is_not(None),
                    ),
                )
            )
        )
    )


def _holds_bytes_sql(sha256: Any, user_id: Any) -> ColumnElement[bool]:
    # SQL twin of `holds_bytes` for the user in `user_id` (joined with PhotoBlob on `sha256`).
    return or_(
        PhotoBlob.uploaded_by_user_id.is_not_distinct_from(user_id),
        exists().where(
            and_(
                UploadSession.sha256 == sha256,
                UploadSession.user_id.is_not_distinct_from(user_id),
                UploadSession.completed_at.is_not(None),
            )
        ),
    )


def _uploader_holds_bytes() -> ColumnElement[bool]:
    return _holds_bytes_sql(Photo.sha256, Photo.uploaded_by_user_id)


# --- photo metadata ------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoMetadata:
    """What the phone says about a photo, possibly before its bytes arrive."""

    id: str
    visit_id: int
    sha256: str
    kind: PhotoKind = PhotoKind.OTHER
    caption: str | None = None
    checklist_item_key: str | None = None
    taken_at: dt.datetime | None = None
    device_time: dt.datetime | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None


def attach_photo(session: Session, meta: PhotoMetadata, *, user_id: int | None) -> Photo:
    """Record a photo's metadata; idempotent on its id, whether or not the bytes are here yet."""
    try:
        uuid.UUID(meta.id)
    except ValueError as exc:
        raise ValidationFailed("photo id must be a UUID", fields={"id": ["not a UUID"]}) from exc
    sha256 = check_sha256(meta.sha256)
    existing = session.get(Photo, meta.id)
    if existing is not None:
        if existing.visit_id != meta.visit_id or existing.sha256 != sha256:
            raise Conflict(
                "photo %(id)s is already attached to other bytes or another visit",
                params={"id": meta.id},
                code="photo_id_reused",
            )
        return existing
    if session.get(Visit, meta.visit_id) is None:
        raise NotFound("visit %(id)s does not exist", params={"id": meta.visit_id})
    photo = Photo(
        id=meta.id,
        visit_id=meta.visit_id,
        sha256=sha256,
        kind=meta.kind,
        caption=meta.caption,
        checklist_item_key=meta.checklist_item_key,
        uploaded_by_user_id=user_id,
        device_time=meta.device_time,
        taken_at=meta.taken_at,
        gps_lat=meta.gps_lat,
        gps_lon=meta.gps_lon,
    )
    session.add(photo)
    blob = session.get(PhotoBlob, sha256)
    if blob is not None:
        _fill_from_blob(photo, blob)
    session.flush()
    return photo


def _fill_from_blob(photo: Photo, blob: PhotoBlob) -> None:
    # The phone's own values win; EXIF fills what it did not send.
    if photo.taken_at is None:
        photo.taken_at = blob.taken_at
    if photo.gps_lat is None and photo.gps_lon is None:
        photo.gps_lat, photo.gps_lon = blob.gps_lat, blob.gps_lon


@dataclass(frozen=True)
class PhotoView:
    """A photo as shown to people: its metadata and whether its bytes arrived."""

    photo: Photo
    blob: PhotoBlob | None

    @property
    def status(self) -> str:
        """pending (no bytes yet), stored, or ready (thumbnail made)."""
        if self.blob is None:
            return "pending"
        return "ready" if self.blob.thumbnail_ready else "stored"


def photos_of_visits(session: Session, visit_ids: list[int]) -> dict[int, list[PhotoView]]:
    """Every photo of the given visits with its blob (None while pending), oldest first.

    Bytes show on a photo only once they belong to its visit: someone who attached a photo
    to that visit uploaded them. Knowing another visit's hash does not reveal its bytes.
    """
    if not visit_ids:
        return {}
    rows = session.execute(
        select(Photo, PhotoBlob, _uploader_holds_bytes())
        .outerjoin(PhotoBlob, PhotoBlob.sha256 == Photo.sha256)
        .where(Photo.visit_id.in_(visit_ids))
        .order_by(Photo.created_at, Photo.id)
    ).all()
    backed = {(p.visit_id, p.sha256) for p, blob, held in rows if blob is not None and held}
    grouped: dict[int, list[PhotoView]] = {}
    for photo, blob, _held in rows:
        shown = blob if (photo.visit_id, photo.sha256) in backed else None
        grouped.setdefault(photo.visit_id, []).append(PhotoView(photo, shown))
    return grouped


def photo_view(session: Session, photo: Photo) -> PhotoView:
    """One photo with its blob, under the same rule as `photos_of_visits`."""
    for view in photos_of_visits(session, [photo.visit_id]).get(photo.visit_id, []):
        if view.photo.id == photo.id:
            return view
    return PhotoView(photo, None)


def pending_photos(session: Session, visit_id: int) -> list[Photo]:
    """Photos of a visit whose bytes never arrived."""
    return [v.photo for v in photos_of_visits(session, [visit_id]).get(visit_id, []) if not v.blob]


def signature_blobs(
    session: Session, visit_ids: list[int]
) -> list[tuple[Signature, PhotoBlob | None]]:
    """Every signature of the given visits with its image (None while pending), oldest first.

    The photos' rule: an image belongs to a signature only when whoever captured the
    signature uploaded those bytes; naming another visit's hash reveals nothing.
    """
    if not visit_ids:
        return []
    held = _holds_bytes_sql(Signature.sha256, Signature.captured_by_user_id)
    rows = session.execute(
        select(Signature, PhotoBlob, held)
        .outerjoin(PhotoBlob, PhotoBlob.sha256 == Signature.sha256)
        .where(Signature.visit_id.in_(visit_ids))
        .order_by(Signature.created_at, Signature.id)
    ).all()
    return [(signature, blob if blob is not None and ok else None) for signature, blob, ok in rows]


def purge_expired_uploads(session: Session, settings: Settings) -> int:
    """Forget uploads that expired unfinished, and their partial files."""
    store = blob_store(settings)
    expired = session.scalars(
        select(UploadSession).where(
            UploadSession.completed_at.is_(None), UploadSession.expires_at <= utcnow()
        )
    ).all()
    for upload in expired:
        store.partial_path(upload.id).unlink(missing_ok=True)
        session.delete(upload)
    session.flush()
    return len(expired)


def iter_blob(store: BlobStore, key: str) -> Iterator[bytes]:
    """The stored bytes in chunks (for streaming responses)."""
    with store.open(key) as src:
        while chunk := src.read(256 * 1024):
            yield chunk
