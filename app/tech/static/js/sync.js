// The sync loop of this phone: push the whole outbox, pull until up to date, upload bytes.
// The protocol is docs/sync.md; sync/client.py is the reference this follows step by step.
import { ApiError, NetworkError, post, request } from "./api.js";
import * as store from "./store.js";
import { uploadPending } from "./uploads.js";

export const PROTOCOL_VERSION = 1;
export const SCHEMA_VERSION = 1;
// Fewer, larger pages: on a phone network each round trip costs more than the bytes.
const PAGE_LIMIT = 500;
const PUSH_BATCH = 100;
const MAX_ATTEMPTS = 4;
const BACKOFF_MS = 400;

export class SignedOut extends Error {}

const listeners = new Set();
export const onChange = (fn) => listeners.add(fn);
const emit = (event) => listeners.forEach((fn) => fn(event));

export const state = { running: false, error: null, lastReport: null };

async function envelope() {
  return {
    device_id: await store.getMeta("device_id"),
    protocol_version: PROTOCOL_VERSION,
    schema_version: SCHEMA_VERSION,
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// POST with retries: network failures and 502/503/504 back off exponentially with jitter.
async function call(path, body, report) {
  const token = await store.getMeta("token");
  for (let attempt = 0; ; attempt++) {
    try {
      return await post(path, body, token);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) throw new SignedOut(err.message);
      if (!(err instanceof NetworkError) || attempt + 1 >= MAX_ATTEMPTS || !navigator.onLine) {
        throw err;
      }
      report.retries += 1;
      await sleep(BACKOFF_MS * 2 ** attempt * (0.5 + Math.random() / 2));
    }
  }
}

export async function pushAll(report) {
  for (;;) {
    const batch = await store.pending(PUSH_BATCH);
    if (!batch.length) return;
    const about = await store.describe(batch);
    const body = await call("/mobile/v1/sync/push", { ...(await envelope()), mutations: batch }, report);
    await store.acknowledge(batch, body.results, body.last_acked_mutation_id, about);
    report.pushed += body.results.length;
    report.problems += body.results.filter((r) => r.outcome !== "applied").length;
  }
}

export async function pullAll(report) {
  for (;;) {
    const body = {
      ...(await envelope()),
      cursor: await store.getMeta("cursor"),
      limit: PAGE_LIMIT,
    };
    let page;
    try {
      page = await call("/mobile/v1/sync/pull", body, report);
    } catch (err) {
      if (err instanceof ApiError && err.code === "reset_required") {
        await store.resetMirror();
        report.resets += 1;
        continue;
      }
      throw err;
    }
    const gone = await store.applyPage(page);
    report.pages += 1;
    report.upserts += page.upserts.length;
    report.gone.push(...gone);
    emit({ type: "page", report });
    if (!page.has_more) return;
  }
}

let running = null;

// One sync at a time, in this tab and across tabs of the same phone (Web Locks when present).
export function sync(reason = "manual") {
  if (running) return running;
  const run = async () => {
    const report = {
      reason, pushed: 0, problems: 0, pages: 0, upserts: 0, resets: 0, retries: 0, gone: [],
    };
    state.running = true;
    state.error = null;
    emit({ type: "start", report });
    try {
      if (!navigator.onLine) throw new NetworkError("offline");
      await pushAll(report);
      await pullAll(report);
      await store.setMeta("last_synced", new Date().toISOString());
      state.lastReport = report;
      await uploadPending(() => emit({ type: "upload" }));
    } catch (err) {
      state.error = err;
      if (err instanceof SignedOut) emit({ type: "signed_out", error: err });
    } finally {
      state.running = false;
      emit({ type: "done", report });
    }
    return report;
  };
  const locked = navigator.locks ? () => navigator.locks.request("tech-sync", run) : run;
  running = locked().finally(() => {
    running = null;
  });
  return running;
}

// Sign in, register this phone, keep the device-bound token; the plain sign-in token is revoked.
export async function signIn(email, password) {
  const signInToken = await post("/api/v1/auth/token", { email, password });
  if (signInToken.role !== "technician") {
    await request("DELETE", "/api/v1/auth/token", { token: signInToken.access_token });
    throw new ApiError(403, { code: "not_a_technician", message: "not a technician" });
  }
  const owner = await store.getMeta("owner_user_id");
  if (owner != null && owner !== signInToken.user_id) {
    // Another technician had this phone: nothing of theirs may go out under this account.
    await store.wipe();
  }
  let deviceId = await store.getMeta("device_id");
  let device;
  for (let attempt = 0; attempt < 2; attempt++) {
    deviceId ??= `web-${crypto.randomUUID()}`;
    try {
      device = await post(
        "/mobile/v1/devices",
        { device_id: deviceId, name: deviceName(), platform: "web" },
        signInToken.access_token,
      );
      break;
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== "device_id_taken" || attempt) throw err;
      deviceId = null; // the id belongs to someone else's registration: this phone takes a new one
    }
  }
  // Give the password sign-in token back; not awaited (one round trip less on a slow network).
  request("DELETE", "/api/v1/auth/token", { token: signInToken.access_token }).catch(() => {});
  const acked = await store.lastAcked();
  await store.setMetas({
    device_id: deviceId,
    token: device.access_token,
    token_expires_at: device.expires_at,
    owner_user_id: signInToken.user_id,
    email,
    technician_id: device.technician_id,
    // A reinstalled app numbers its next mutation after what the server already answered.
    last_acked: Math.max(acked, device.last_acked_mutation_id),
  });
}

function deviceName() {
  const ua = navigator.userAgent;
  const match = ua.match(/\(([^;)]+)/);
  return `Browser ${match ? match[1] : ""}`.trim().slice(0, 120);
}

// Sign out: this phone's token is revoked on the server; local data goes.
export async function signOut() {
  const token = await store.getMeta("token");
  if (token && navigator.onLine) {
    await request("DELETE", "/api/v1/auth/token", { token }).catch(() => {});
  }
  await store.wipe();
}

export async function myDevices() {
  return request("GET", "/mobile/v1/devices", { token: await store.getMeta("token") });
}

export async function retireDevice(deviceId) {
  const token = await store.getMeta("token");
  return request("DELETE", `/mobile/v1/devices/${encodeURIComponent(deviceId)}`, { token });
}
