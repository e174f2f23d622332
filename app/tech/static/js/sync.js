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

// The server refused a whole push batch and the phone cannot fix it alone (an app too old, the
// numbering still refused after renumbering once). The outbox is kept; the next sync tries again.
export class BatchRefused extends Error {
  constructor(err, waiting) {
    super(err.message);
    this.code = err.code;
    this.status = err.status;
    this.waiting = waiting;
  }
}

// Refusals whose way out is renumbering the outbox from the server's count.
const RENUMBER = new Set(["mutation_sequence_gap", "mutation_id_reused"]);
// Refusals that say this phone's token is not a device token of this phone.
const NOT_THIS_DEVICE = new Set(["device_token_required", "device_mismatch"]);

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
      if (err instanceof ApiError && (err.status === 401 || NOT_THIS_DEVICE.has(err.code))) {
        // Only a new sign-in (which registers this phone again) gets out; the outbox is kept.
        throw new SignedOut(err.message);
      }
      if (!(err instanceof NetworkError) || attempt + 1 >= MAX_ATTEMPTS || !navigator.onLine) {
        throw err;
      }
      report.retries += 1;
      await sleep(BACKOFF_MS * 2 ** attempt * (0.5 + Math.random() / 2));
    }
  }
}

export async function pushAll(report) {
  let size = PUSH_BATCH;
  let renumbered = false;
  for (;;) {
    const batch = await store.pending(size);
    if (!batch.length) return;
    const about = await store.describe(batch);
    let body;
    try {
      body = await call("/mobile/v1/sync/push", { ...(await envelope()), mutations: batch }, report);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const way = await wayOut(err, batch, about, renumbered, report);
      size = way.size ?? PUSH_BATCH;
      renumbered ||= way.renumbered === true;
      continue;
    }
    size = PUSH_BATCH;
    await store.acknowledge(batch, body.results, body.last_acked_mutation_id, about);
    report.pushed += body.results.length;
    report.problems += body.results.filter((r) => r.outcome !== "applied").length;
  }
}

// A whole batch refused (docs/sync.md, "What refuses the whole batch"): nothing of it was kept.
// Returns how to go on ({size}: push only that many first; {renumbered}) or throws BatchRefused.
async function wayOut(err, batch, about, renumbered, report) {
  if (RENUMBER.has(err.code)) {
    const details = err.body.details || {};
    // What came before the refused mutation passed the server's checks: it goes first alone,
    // so a mutation the server already applied is answered from its receipt, not renumbered.
    const refused = batch.findIndex((m) => m.id === (details.mutation_id ?? details.got));
    if (refused > 0) return { size: refused };
    if (renumbered || !Number.isInteger(details.last_acked_mutation_id)) {
      throw new BatchRefused(err, await store.outboxSize());
    }
    report.renumbered += await store.renumber(details.last_acked_mutation_id);
    return { renumbered: true };
  }
  if (err.status === 422) {
    // A malformed entry (e.g. written by an older version of this app): send the rest without
    // it and tell the technician; resending the same batch would be refused for ever.
    const errors = err.body.errors || {};
    if (Object.keys(errors).some((field) => field !== "mutations")) {
      throw new BatchRefused(err, await store.outboxSize()); // the envelope, not a mutation
    }
    const entries = Array.isArray(errors.mutations) ? {} : errors.mutations || {};
    const bad = Object.keys(entries).filter((i) => /^\d+$/.test(i) && batch[i]).map((i) => batch[i]);
    if (!bad.length && batch.length > 1) return { size: Math.ceil(batch.length / 2) };
    const dropped = bad.length ? bad : batch;
    await store.setAside(dropped, err.body, about);
    report.problems += dropped.length;
    return {};
  }
  throw new BatchRefused(err, await store.outboxSize());
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
      reason, pushed: 0, problems: 0, pages: 0, upserts: 0, resets: 0, retries: 0, renumbered: 0,
      gone: [],
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
      if (err instanceof BatchRefused && err.code === "unsupported_version") {
        // the way out is a newer app: ask the service worker to fetch it now
        navigator.serviceWorker?.getRegistration("/tech/").then((r) => r?.update()).catch(() => {});
      }
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
  // The server's count replaces this phone's only when nothing waits to be sent; otherwise the
  // push settles it (stored results for what the server has, a renumbering for the rest), so a
  // waiting mutation is never taken for acknowledged without an answer.
  const acked = await store.lastAcked();
  const waiting = await store.outboxSize();
  await store.setMetas({
    device_id: deviceId,
    token: device.access_token,
    token_expires_at: device.expires_at,
    owner_user_id: signInToken.user_id,
    email,
    technician_id: device.technician_id,
    // A reinstalled app numbers its next mutation after what the server already answered.
    last_acked: waiting ? acked : Math.max(acked, device.last_acked_mutation_id),
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
