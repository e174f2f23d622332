"""Photo thumbnails: made once, stored beside the blob, never decoded at full size on request.

The upload's job makes each thumbnail; a request finds it stored. A request that finds none
makes it only when that is cheap — the pixels actually decoded (a JPEG decodes at 1/2, 1/4 or
1/8 scale for a small target) stay under `THUMBNAIL_INLINE_MAX_PIXELS` — and stores it, so it
is made once. Anything dearer answers 503 `thumbnail_pending` with `Retry-After` until the job
has made it; without Redis that job runs in a process of its own, not in the request.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps
from sqlalchemy.orm import Session

from app.config import Settings
from app.errors import TemporarilyUnavailable
from app.events import after_commit
from app.models import PhotoBlob
from app.services.photos import BlobStore, NotAnImage, blob_store, thumbnail_key


class ThumbnailPending(TemporarilyUnavailable):
    code = "thumbnail_pending"
    retry_after_s = 5


def decoded_pixels(store: BlobStore, sha256: str, size: int) -> int:
    """How many pixels making a `size` thumbnail decodes (reads the header only)."""
    with store.open(sha256) as src, Image.open(src) as image:
        image.draft("RGB", (size, size))  # JPEG: pick the smallest scale that still covers size
        width, height = image.size
    return width * height


def render_thumbnail(store: BlobStore, sha256: str, size: int, max_pixels: int) -> bytes:
    """A JPEG no larger than `size` pixels a side, upright per EXIF; refuses a pixel bomb."""
    with store.open(sha256) as src, Image.open(src) as image:
        if image.width * image.height > max_pixels:
            raise NotAnImage(
                "the image is %(width)sx%(height)s pixels; at most %(max)s pixels are accepted",
                params={"width": image.width, "height": image.height, "max": max_pixels},
                code="image_too_large",
            )
        image.draft("RGB", (size, size))
        image = ImageOps.exif_transpose(image)
        image.thumbnail((size, size), reducing_gap=3.0)
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        return out.getvalue()


def store_thumbnail(store: BlobStore, settings: Settings, sha256: str) -> str:
    """Make and keep the thumbnail unless it is there already; returns its key."""
    key = thumbnail_key(sha256)
    if not store.exists(key):
        data = render_thumbnail(store, sha256, settings.thumbnail_px, settings.photo_max_pixels)
        store.put_bytes(key, data)
    return key


def make_thumbnail(session: Session, settings: Settings, sha256: str) -> bool:
    """Create and store the thumbnail of a stored blob; False when the blob is unknown."""
    blob = session.get(PhotoBlob, sha256)
    if blob is None:
        return False
    store_thumbnail(blob_store(settings), settings, sha256)
    blob.thumbnail_ready = True
    session.flush()
    return True


def thumbnail(settings: Settings, blob: PhotoBlob) -> str:
    """The key of the blob's stored thumbnail, made now only when that is cheap.

    Raises ThumbnailPending (503 + Retry-After) while a dear one waits for its job.
    """
    store = blob_store(settings)
    key = thumbnail_key(blob.sha256)
    if store.exists(key):
        return key
    cost = decoded_pixels(store, blob.sha256, settings.thumbnail_px)
    if cost > settings.thumbnail_inline_max_pixels:
        raise ThumbnailPending(
            "the thumbnail of this photo is being made; retry in a few seconds",
            details={"retry_after_s": ThumbnailPending.retry_after_s},
        )
    return store_thumbnail(store, settings, blob.sha256)


def schedule_thumbnail(session: Session, settings: Settings, sha256: str) -> None:
    """Make the thumbnail in a background job once this transaction has committed.

    Without Redis a dear thumbnail is made in a process of its own, so the upload request
    that stored the bytes never decodes a large image itself.
    """
    from app.jobs import enqueue
    from app.jobs.photos import make_thumbnail as job

    def run() -> None:
        costly = settings.jobs_inline and (
            decoded_pixels(blob_store(settings), sha256, settings.thumbnail_px)
            > settings.thumbnail_inline_max_pixels
        )
        enqueue(settings, job, sha256, settings.upload_folder, long_running=costly)

    after_commit(session, run, key=f"thumbnail:{sha256}")
