"""Photo bytes resume where the server says an interrupted upload stopped."""

from __future__ import annotations

import base64
import hashlib

from app import models
from tests.tech.conftest import jpeg_bytes


def test_an_interrupted_upload_resumes_at_the_servers_offset(
    tech_phone, technician, session, client, login
):
    phone, page = tech_phone, tech_phone.page
    phone.sign_in(technician.user)  # a technician with no visits: the upload is the point
    data = jpeg_bytes((1200, 900), noise=True)
    assert len(data) > 400_000
    digest = hashlib.sha256(data).hexdigest()
    # An earlier attempt got the first 100,000 bytes through before the network dropped.
    headers = login(technician.user)
    started = client.post(
        "/api/v1/uploads", json={"sha256": digest, "size": len(data)}, headers=headers
    ).json
    client.put(
        f"/api/v1/uploads/{started['id']}",
        data=data[:100_000],
        headers={**headers, "Upload-Offset": "0"},
        content_type="application/octet-stream",
    )
    offsets = []
    page.on(
        "request",
        lambda r: (
            offsets.append(int(r.headers["upload-offset"]))
            if r.method == "PUT" and "/api/v1/uploads/" in r.url
            else None
        ),
    )
    page.evaluate(
        """async ([b64, sha256]) => {
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          const blob = new Blob([bytes], {type: 'image/jpeg'});
          const store = await import('/tech/static/js/store.js');
          const uploads = await import('/tech/static/js/uploads.js');
          await store.keepBlob({sha256, blob, size: blob.size, sent: 0, done: false});
          await uploads.uploadPending();
        }""",
        [base64.b64encode(data).decode(), digest],
    )
    assert offsets[0] == 100_000
    assert offsets == sorted(offsets)
    session.expire_all()
    assert session.get(models.PhotoBlob, digest).size == len(data)
    done = page.evaluate(
        f"import('/tech/static/js/store.js').then((s) => s.blob('{digest}'))"
        ".then((b) => [b.done, b.sent])"
    )
    assert done == [True, len(data)]
