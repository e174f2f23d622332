// What the technician sees: the server's mirror with the pending outbox laid over it.
import * as store from "./store.js";
import { checklistItems, missingRequirements } from "./checklist.js";

export const STATUS_ORDER = ["new", "scheduled", "dispatched", "en_route", "on_site"];
export const FINAL = new Set(["completed", "incomplete", "cancelled"]);
const STATUS_OF = {
  "visit.start_travel": "en_route",
  "visit.arrive": "on_site",
  "visit.complete": "completed",
  "visit.mark_incomplete": "incomplete",
};

// Status only moves forward, as on the server (sync conflict rule 3).
export function moveStatus(current, target) {
  if (current === target || FINAL.has(current)) return current;
  if (FINAL.has(target)) return target;
  return STATUS_ORDER.indexOf(target) > STATUS_ORDER.indexOf(current) ? target : current;
}

export const visitStart = (v) => v.planned_start || v.window_start;

// YYYY-MM-DD of a timestamp in the phone's time zone.
export function dayOf(iso) {
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export const today = () => dayOf(new Date().toISOString());

// Every visit in scope with its pending status, customer and site, sorted by start.
export async function visitList() {
  const [visits, customers, sites, outbox] = await Promise.all([
    store.all("visit"),
    store.all("customer"),
    store.all("site"),
    store.pending(),
  ]);
  const byId = (rows) => new Map(rows.map((r) => [r.id, r]));
  const customerOf = byId(customers);
  const siteOf = byId(sites);
  return visits
    .filter((v) => visitStart(v))
    .map((v) => ({
      ...v,
      status: pendingStatus(v, outbox),
      customer: customerOf.get(v.customer_id) || null,
      site: siteOf.get(v.site_id) || null,
      pending: outbox.filter((m) => m.args.visit_id === v.id).length,
    }))
    .sort((a, b) => visitStart(a).localeCompare(visitStart(b)) || a.id - b.id);
}

function pendingStatus(visit, outbox) {
  let status = visit.status;
  for (const m of outbox) {
    if (m.args.visit_id === visit.id && STATUS_OF[m.name]) status = moveStatus(status, STATUS_OF[m.name]);
  }
  return status;
}

// The synced articles that fit this visit, by the server's rule (docs/sync.md, "Scope"):
// every tag list the article names must admit the visit; cause articles fit repairs only.
export function articlesFor(articles, visit, order, faultCause) {
  const admits = (tags, value) => !tags?.length || tags.includes(value);
  return articles
    .filter((a) => admits(a.visit_kinds, visit.kind) && admits(a.product_lines, order?.product_line))
    .filter((a) => !a.fault_causes?.length
      || (visit.kind === "repair" && (!faultCause || a.fault_causes.includes(faultCause))))
    .sort((x, y) => x.title.localeCompare(y.title));
}

// One visit as the technician sees it: mirror + pending notes, answers, photos, signatures.
export async function visitView(visitId) {
  const visit = await store.get("visit", visitId);
  if (!visit) return null;
  const [children, outbox, templates, blobs] = await Promise.all([
    store.visitRecords(visitId),
    store.pending(),
    store.all("template"),
    store.blobs(),
  ]);
  const mine = outbox.filter((m) => m.args.visit_id === visit.id);
  const of = (entity) => children.filter((r) => r.entity === entity).map((r) => r.data);
  const answers = Object.fromEntries(of("answer").map((a) => [a.item_key, a.value]));
  const notes = of("note").map((n) => ({ ...n, pending: false }));
  const photos = of("photo").map((p) => ({ ...p, pending: false }));
  const signatures = of("signature").map((s) => ({ ...s, pending: false }));
  const pendingAnswers = new Set();
  for (const m of mine) {
    const a = m.args;
    if (m.name === "checklist.set_answer") {
      answers[a.item_key] = a.value;
      pendingAnswers.add(a.item_key);
    } else if (m.name === "visit.add_note") {
      notes.push({ id: a.note_id, body: a.body, created_at: m.device_time, pending: true });
    } else if (m.name === "visit.mark_incomplete") {
      notes.push({ id: `m${m.id}`, body: a.reason, created_at: m.device_time, pending: true });
    } else if (m.name === "photo.attach" && !photos.some((p) => p.id === a.photo_id)) {
      photos.push({ ...a, id: a.photo_id, pending: true });
    } else if (m.name === "visit.capture_signature" && !signatures.some((s) => s.id === a.signature_id)) {
      signatures.push({ ...a, id: a.signature_id, pending: true });
    }
  }
  const blobOf = new Map(blobs.map((b) => [b.sha256, b]));
  for (const p of [...photos, ...signatures]) p.blob = blobOf.get(p.sha256) || null;
  notes.sort((x, y) => String(x.created_at).localeCompare(String(y.created_at)));
  const items = checklistItems(templates, visit);
  const [customer, site, order, articles] = await Promise.all([
    store.get("customer", visit.customer_id),
    store.get("site", visit.site_id),
    visit.order_id ? store.get("order", visit.order_id) : null,
    store.all("article"),
  ]);
  return {
    visit: { ...visit, status: pendingStatus(visit, outbox) },
    customer,
    site,
    order,
    articles: articlesFor(articles, visit, order, typeof answers.fault_cause === "string" ? answers.fault_cause : null),
    items,
    answers,
    pendingAnswers,
    notes,
    photos,
    signatures,
    pending: mine,
    missing: missingRequirements(items, { answers, photos, signatures }),
  };
}
