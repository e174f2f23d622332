// The phone's database in IndexedDB: the scope mirror, the outbox, answers to pushed
// mutations, photo bytes waiting to upload, and sync state. Mirrors sync/client.py's LocalStore.
import { openDB } from "../vendor/idb/index.js";

const DB_NAME = "fieldservice-tech";
let dbPromise;

export function db() {
  dbPromise ??= openDB(DB_NAME, 1, {
    upgrade(database) {
      const records = database.createObjectStore("records", { keyPath: "key" });
      records.createIndex("visit_id", "visit_id");
      records.createIndex("entity", "entity");
      database.createObjectStore("outbox", { keyPath: "id" });
      database.createObjectStore("results", { keyPath: "id" });
      database.createObjectStore("blobs", { keyPath: "sha256" });
      database.createObjectStore("meta");
    },
  });
  return dbPromise;
}

const recordKey = (entity, id) => `${entity}:${id}`;

// -- sync state ------------------------------------------------------------------------------

export async function getMeta(key, fallback = null) {
  const value = await (await db()).get("meta", key);
  return value === undefined ? fallback : value;
}

export async function setMeta(key, value) {
  await (await db()).put("meta", value, key);
}

// Several values in one transaction (one disk write instead of many).
export async function setMetas(values) {
  const tx = (await db()).transaction("meta", "readwrite");
  await Promise.all(Object.entries(values).map(([key, value]) => tx.store.put(value, key)));
  await tx.done;
}

export async function lastAcked() {
  return getMeta("last_acked", 0);
}

// -- the mirror -------------------------------------------------------------------------------

async function dropRecord(tx, entity, id) {
  const records = tx.objectStore("records");
  await records.delete(recordKey(entity, id));
  if (entity === "visit") {
    const children = await records.index("visit_id").getAllKeys(Number(id));
    await Promise.all(children.map((key) => records.delete(key)));
  }
}

// Apply one pull answer and its cursor in one local transaction (a crash replays the page).
// Returns the ids of visits that left the phone's scope.
export async function applyPage(page) {
  const tx = (await db()).transaction(["records", "meta", "outbox"], "readwrite");
  const gone = [];
  for (const ref of [...page.removes, ...page.deletes]) {
    if (ref.entity === "visit") gone.push(Number(ref.id));
    await dropRecord(tx, ref.entity, ref.id);
  }
  const records = tx.objectStore("records");
  for (const record of page.upserts) {
    const data = record.data;
    await records.put({
      key: recordKey(record.entity, record.id),
      entity: record.entity,
      id: record.id,
      visit_id: record.entity === "visit" ? data.id : data.visit_id ?? null,
      version: record.version ?? null,
      data,
    });
  }
  const meta = tx.objectStore("meta");
  await meta.put(page.cursor, "cursor");
  await ackedIn(tx, page.last_acked_mutation_id);
  await tx.done;
  return gone;
}

// Forget the mirror and the cursor; the outbox stays (unpushed work is never dropped).
export async function resetMirror() {
  const tx = (await db()).transaction(["records", "meta"], "readwrite");
  await tx.objectStore("records").clear();
  await tx.objectStore("meta").delete("cursor");
  await tx.done;
}

export async function all(entity) {
  const rows = await (await db()).getAllFromIndex("records", "entity", entity);
  return rows.map((r) => r.data);
}

export async function get(entity, id) {
  const row = await (await db()).get("records", recordKey(entity, id));
  return row ? row.data : null;
}

export async function visitRecords(visitId) {
  return (await db()).getAllFromIndex("records", "visit_id", Number(visitId));
}

export async function countRecords() {
  return (await db()).count("records");
}

// -- the outbox -------------------------------------------------------------------------------

// Queue a mutation under the next sequential id (never below last acknowledged + 1).
export async function enqueue(name, args, baseVersion = null) {
  const tx = (await db()).transaction(["outbox", "meta"], "readwrite");
  const meta = tx.objectStore("meta");
  const next = (await meta.get("next_mutation_id")) ?? 0;
  const acked = (await meta.get("last_acked")) ?? 0;
  const id = Math.max(next, acked + 1);
  const mutation = {
    id,
    name,
    args,
    base_version: baseVersion,
    device_time: new Date().toISOString(),
  };
  await tx.objectStore("outbox").add(mutation);
  await meta.put(id + 1, "next_mutation_id");
  await tx.done;
  return mutation;
}

// Number the whole outbox again from `lastAckedId` + 1, in order, content unchanged: the way
// out when the server's count disagrees (docs/sync.md). Returns how many were renumbered.
export async function renumber(lastAckedId) {
  const tx = (await db()).transaction(["outbox", "results", "meta"], "readwrite");
  const count = await renumberIn(tx, lastAckedId);
  // Answers kept under ids the server now counts again (its count went back) move aside, so
  // the new answers do not overwrite one the technician has not seen yet.
  const results = tx.objectStore("results");
  let key = localKey();
  for (const row of await results.getAll(IDBKeyRange.lowerBound(lastAckedId, true))) {
    await results.delete(row.id);
    await results.put({ ...row, id: key--, mutation_id: row.mutation_id ?? row.id });
  }
  await tx.objectStore("meta").put(lastAckedId, "last_acked");
  await tx.done;
  return count;
}

// A key for an answer kept apart from mutation ids (those are numbered again): negative, unique.
const localKey = () => -Date.now() * 100;

async function renumberIn(tx, lastAckedId) {
  const outbox = tx.objectStore("outbox");
  const rows = (await outbox.getAll()).sort((a, b) => a.id - b.id);
  await outbox.clear();
  for (const [n, row] of rows.entries()) await outbox.add({ ...row, id: lastAckedId + 1 + n });
  await tx.objectStore("meta").put(lastAckedId + rows.length + 1, "next_mutation_id");
  return rows.length;
}

// Take malformed mutations out of the outbox (the server cannot read them, so they can never
// be sent) and keep them as refused answers for the technician; the rest close up behind them.
export async function setAside(mutations, refusal, about = new Map()) {
  const tx = (await db()).transaction(["outbox", "results", "meta"], "readwrite");
  const outbox = tx.objectStore("outbox");
  const first = (await outbox.getAllKeys())[0];
  let key = localKey();
  for (const m of mutations) {
    await outbox.delete(m.id);
    await tx.objectStore("results").put({
      id: key--,
      mutation_id: m.id,
      name: m.name,
      outcome: "rejected",
      code: "malformed",
      message: refusal.message || null,
      details: { errors: refusal.errors || {} },
      about: about.get(m.id) || {},
      args: m.args || {},
      device_time: m.device_time || null,
      seen: false,
    });
  }
  if (first !== undefined) await renumberIn(tx, first - 1);
  await tx.done;
}

export async function pending(limit = Infinity) {
  const rows = await (await db()).getAll("outbox");
  return rows.sort((a, b) => a.id - b.id).slice(0, limit);
}

export async function outboxSize() {
  return (await db()).count("outbox");
}

async function ackedIn(tx, lastAckedId) {
  const meta = tx.objectStore("meta");
  const current = (await meta.get("last_acked")) ?? 0;
  const acked = Math.max(current, lastAckedId ?? 0);
  if (acked > current) await meta.put(acked, "last_acked");
  if (tx.objectStoreNames.contains("outbox")) {
    await tx.objectStore("outbox").delete(IDBKeyRange.upperBound(acked));
  }
}

// What a mutation was about, read before the pull may take the visit or the item away.
export async function describe(mutations) {
  const labels = new Map();
  for (const template of await all("template")) {
    for (const item of template.items || []) labels.set(item.key, item.label || item.key);
  }
  const about = new Map();
  for (const m of mutations) {
    const visit = await get("visit", m.args.visit_id);
    const customer = visit ? await get("customer", visit.customer_id) : null;
    about.set(m.id, {
      customer: customer?.name || null,
      start: visit ? visit.planned_start || visit.window_start : null,
      item_label: m.args.item_key ? labels.get(m.args.item_key) || m.args.item_key : null,
    });
  }
  return about;
}

// Keep the answers (with what was sent, to explain them) and drop acknowledged mutations.
export async function acknowledge(sent, results, lastAckedId, about = new Map()) {
  const tx = (await db()).transaction(["outbox", "results", "meta"], "readwrite");
  const byId = new Map(sent.map((m) => [m.id, m]));
  for (const result of results) {
    const mutation = byId.get(result.id) || {};
    await tx.objectStore("results").put({
      ...result,
      about: about.get(result.id) || {},
      args: mutation.args || {},
      device_time: mutation.device_time || null,
      seen: result.outcome === "applied",
    });
  }
  await ackedIn(tx, lastAckedId);
  await tx.done;
}

export async function results() {
  const rows = await (await db()).getAll("results");
  return rows.sort((a, b) => a.id - b.id);
}

export async function markResultsSeen(ids) {
  const tx = (await db()).transaction("results", "readwrite");
  for (const id of ids) {
    const row = await tx.store.get(id);
    if (row) await tx.store.put({ ...row, seen: true });
  }
  await tx.done;
}

// -- photo and signature bytes waiting to upload ----------------------------------------------

export async function keepBlob(entry) {
  await (await db()).put("blobs", entry);
}

export async function blobs() {
  return (await db()).getAll("blobs");
}

export async function blob(sha256) {
  return (await db()).get("blobs", sha256);
}

export async function updateBlob(sha256, changes) {
  const tx = (await db()).transaction("blobs", "readwrite");
  const row = await tx.store.get(sha256);
  if (row) await tx.store.put({ ...row, ...changes });
  await tx.done;
}

// -- signing out ----------------------------------------------------------------------------

// Drop everything of this technician; the device id (the phone's identity) is kept.
export async function wipe({ keepOutbox = false } = {}) {
  const database = await db();
  const deviceId = await getMeta("device_id");
  const keep = keepOutbox
    ? {
        owner: await getMeta("owner_user_id"),
        next: await getMeta("next_mutation_id"),
        acked: await getMeta("last_acked"),
      }
    : null;
  const stores = ["records", "results", "meta", ...(keepOutbox ? [] : ["outbox", "blobs"])];
  const tx = database.transaction(stores, "readwrite");
  await Promise.all(stores.map((s) => tx.objectStore(s).clear()));
  const meta = tx.objectStore("meta");
  if (deviceId) await meta.put(deviceId, "device_id");
  if (keep) {
    await meta.put(keep.owner, "owner_user_id");
    if (keep.next != null) await meta.put(keep.next, "next_mutation_id");
    if (keep.acked != null) await meta.put(keep.acked, "last_acked");
  }
  await tx.done;
}
