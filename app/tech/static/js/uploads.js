// Photo and signature bytes through the resumable upload API (/api/v1/uploads), chunk by chunk;
// an interrupted upload resumes at the offset the server reports.
import { ApiError, request } from "./api.js";
import * as store from "./store.js";

const CHUNK = 256 * 1024;

export async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function uploadOne(entry, token, progress) {
  const started = await request("POST", "/api/v1/uploads", {
    token,
    json: { sha256: entry.sha256, size: entry.size },
  });
  let offset = started.offset;
  await store.updateBlob(entry.sha256, { sent: offset, upload_id: started.id });
  progress();
  if (started.complete) return;
  while (offset < entry.size) {
    const chunk = entry.blob.slice(offset, Math.min(offset + CHUNK, entry.size));
    let state;
    try {
      state = await request("PUT", `/api/v1/uploads/${started.id}`, {
        token,
        body: chunk,
        headers: { "Upload-Offset": String(offset), "Content-Type": "application/octet-stream" },
      });
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && err.body.details?.offset != null) {
        offset = err.body.details.offset; // the server has more (or less): resume from there
        continue;
      }
      throw err;
    }
    offset = state.offset;
    await store.updateBlob(entry.sha256, { sent: offset });
    progress();
    if (state.complete) return;
  }
}

// Upload every waiting blob; returns when all are up or the network failed (they resume later).
export async function uploadPending(progress = () => {}) {
  const token = await store.getMeta("token");
  for (const entry of await store.blobs()) {
    if (entry.done || entry.refused) continue;
    try {
      await uploadOne(entry, token, progress);
      await store.updateBlob(entry.sha256, { done: true, sent: entry.size, error: null });
    } catch (err) {
      if (err instanceof ApiError && err.status !== 401) {
        // A definite refusal (not an image, too large): say so, do not loop on it.
        await store.updateBlob(entry.sha256, { error: err.code, done: false, refused: true });
        continue;
      }
      throw err;
    } finally {
      progress();
    }
  }
}
