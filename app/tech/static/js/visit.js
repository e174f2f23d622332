// One visit: who, where, what, the status buttons, checklist, photos, signature and notes.
import SignaturePad from "../vendor/signature_pad/signature_pad.js";
import { $, esc, setView, uuid } from "./dom.js";
import { dateTime, t, time } from "./i18n.js";
import { answerError, asBool, choicesOf } from "./checklist.js";
import { FINAL, visitList, visitStart, visitView } from "./model.js";
import { canvasBlob, scalePhoto } from "./media.js";
import * as problems from "./problems.js";
import * as store from "./store.js";
import { sha256Hex } from "./uploads.js";

let signaturePad = null;

const section = (title, body, id = "") =>
  `<section class="card"${id ? ` id="${id}"` : ""}><h2>${esc(title)}</h2>${body}</section>`;

function mapLinks(site, name) {
  if (site?.lat == null || site?.lon == null) return "";
  const { lat, lon } = site;
  const label = encodeURIComponent(name || site.address || "");
  return `<div class="maps">
    <a id="nav-geo" class="button" href="geo:${lat},${lon}?q=${lat},${lon}(${label})">${esc(t("map_app"))}</a>
    <a id="nav-amap" class="button" target="_blank" rel="noopener"
      href="https://uri.amap.com/marker?position=${lon},${lat}&amp;name=${label}&amp;coordinate=wgs84&amp;callnative=1">${esc(t("amap"))}</a>
    <a id="nav-baidu" class="button" target="_blank" rel="noopener"
      href="https://api.map.baidu.com/marker?location=${lat},${lon}&amp;title=${label}&amp;content=${label}&amp;coord_type=wgs84&amp;output=html&amp;src=webapp.fieldservice.tech">${esc(t("baidu"))}</a>
  </div>`;
}

function statusButtons(visit, missing) {
  const s = visit.status;
  if (FINAL.has(s)) return `<p class="chip big">${esc(t(`status_${s}`))}</p>`;
  if (s === "new" || s === "scheduled") return `<p class="muted">${esc(t("not_dispatched"))}</p>`;
  const b = (id, key, cls = "primary", disabled = false) =>
    `<button type="button" id="${id}" class="${cls}" data-action="${id}"${disabled ? " disabled" : ""}>${esc(t(key))}</button>`;
  const buttons = [];
  if (s === "dispatched") buttons.push(b("start-travel", "start_travel"), b("arrive", "arrive", "secondary"));
  if (s === "en_route") buttons.push(b("arrive", "arrive"));
  if (s === "on_site") buttons.push(b("complete", "complete", "primary", missing.length > 0));
  buttons.push(b("incomplete", "incomplete", "secondary"));
  return `<div class="actions">${buttons.join("")}</div>
    <form id="incomplete-form" hidden data-action="confirm-incomplete" data-on="submit">
      <label for="incomplete-reason">${esc(t("incomplete_reason"))}</label>
      <textarea id="incomplete-reason" required maxlength="2000"></textarea>
      <button type="submit" class="danger" id="confirm-incomplete">${esc(t("confirm_incomplete"))}</button>
      <button type="button" class="secondary" data-action="cancel-incomplete">${esc(t("cancel"))}</button>
    </form>`;
}

function missingList(missing) {
  if (!missing.length) return `<p id="missing" class="ok" data-count="0">${esc(t("nothing_missing"))}</p>`;
  return `<ul id="missing" data-count="${missing.length}">${missing
    .map((m) => `<li data-item="${esc(m.item.key)}"><strong>${esc(m.item.label || m.item.key)}</strong>:
      ${esc(t(m.reason, m.params))}</li>`)
    .join("")}</ul>`;
}

function photoState(p) {
  if (!p.blob) return p.pending ? t("photo_pending") : t("photo_uploaded");
  if (p.blob.refused) return t("photo_refused", { code: p.blob.error });
  if (p.blob.done) return t("photo_uploaded");
  const pct = Math.floor((100 * (p.blob.sent || 0)) / p.blob.size);
  return pct > 0 ? t("photo_uploading", { pct }) : t("photo_pending");
}

function thumbs(photos) {
  return `<ul class="thumbs">${photos
    .map((p) => `<li class="thumb" data-photo="${esc(p.id)}" data-sha="${esc(p.sha256)}">
      ${p.blob ? `<img alt="" data-blob="${esc(p.sha256)}">` : ""}
      <span class="progress">${esc(photoState(p))}</span></li>`)
    .join("")}</ul>`;
}

const photosFor = (item, photos) =>
  photos.filter((p) => (item.photo_kind
    ? p.kind === item.photo_kind || p.checklist_item_key === item.key
    : p.checklist_item_key === item.key));

function itemInput(item, value, editable) {
  const id = `answer-${item.key}`;
  const off = editable ? "" : " disabled";
  const attrs = `id="${esc(id)}" data-action="answer" data-on="change" data-item="${esc(item.key)}"${off}`;
  switch (item.type) {
    case "number":
      return `<input type="number" inputmode="decimal" step="any" ${attrs} value="${esc(value ?? "")}">`;
    case "boolean": {
      const v = value == null ? null : asBool(value);
      const radio = (val, key) => `<label class="choice"><input type="radio" name="${esc(id)}"
        value="${val}" ${attrs.replace(`id="${esc(id)}"`, `id="${esc(id)}-${val}"`)}${v === (val === "yes") ? " checked" : ""}>
        ${esc(t(key))}</label>`;
      return `<div class="yes-no">${radio("yes", "yes")}${radio("no", "no")}</div>`;
    }
    case "choice":
      return `<select ${attrs}><option value="">${esc(t("choose"))}</option>${choicesOf(item)
        .map((c) => `<option${c === value ? " selected" : ""}>${esc(c)}</option>`)
        .join("")}</select>`;
    default:
      return `<input type="text" ${attrs} value="${esc(value ?? "")}" maxlength="2000">`;
  }
}

function checklist(view, editable) {
  const rows = view.items.map((item) => {
    const label = `${esc(item.label || item.key)}${item.required === false ? "" : " *"}`;
    if (item.type === "photo") {
      const have = photosFor(item, view.photos);
      const wanted = Number(item.min_photos || 1);
      const input = editable
        ? `<label class="button file">${esc(t("take_photo"))}
            <input type="file" accept="image/*" capture="environment" id="photo-${esc(item.key)}"
              data-action="photo" data-on="change" data-item="${esc(item.key)}"
              data-kind="${esc(item.photo_kind || "other")}"></label>`
        : "";
      return `<li class="item item-photo" data-item="${esc(item.key)}"><span class="label">${label}</span>
        <span class="count">${esc(t("photos_have", { have: have.length, wanted }))}</span>${input}${thumbs(have)}</li>`;
    }
    if (item.type === "signature") {
      return `<li class="item item-signature" data-item="${esc(item.key)}"><span class="label">${label}</span>
        ${signatureBlock(view, editable)}</li>`;
    }
    const pending = view.pendingAnswers.has(item.key) ? `<span class="muted">${esc(t("saved_pending"))}</span>` : "";
    return `<li class="item item-${esc(item.type || "text")}" data-item="${esc(item.key)}">
      <label class="label" for="answer-${esc(item.key)}">${label}</label>
      ${itemInput(item, view.answers[item.key], editable)}
      <span class="error" id="error-${esc(item.key)}"></span>${pending}</li>`;
  });
  return `<ol id="checklist" class="checklist">${rows.join("")}</ol>`;
}

function signatureBlock(view, editable) {
  const done = view.signatures
    .map((s) => `<p class="signed" data-signature="${esc(s.id)}">${esc(t("signed_by", { name: s.signer_name }))}
      ${s.blob ? `<img alt="" class="signature-image" data-blob="${esc(s.sha256)}">` : ""}</p>`)
    .join("");
  if (!editable || view.signatures.length) return done;
  return `${done}<div class="signature">
    <canvas id="signature-pad" aria-label="${esc(t("sign_here"))}"></canvas>
    <label for="signer-name">${esc(t("signer_name"))}</label>
    <input id="signer-name" type="text" maxlength="200" value="${esc(view.customer?.name || "")}">
    <p class="error" id="signature-error"></p>
    <button type="button" class="secondary" data-action="clear-signature">${esc(t("clear"))}</button>
    <button type="button" class="primary" id="save-signature" data-action="save-signature">${esc(t("save_signature"))}</button>
  </div>`;
}

function extraPhotos(view) {
  const listed = new Set(view.items.filter((i) => i.type === "photo").flatMap((i) => photosFor(i, view.photos)).map((p) => p.id));
  const rest = view.photos.filter((p) => !listed.has(p.id));
  return rest.length ? section(t("photos"), thumbs(rest)) : "";
}

async function history(view) {
  const others = (await visitList()).filter(
    (v) => v.site_id === view.visit.site_id && v.id !== view.visit.id,
  );
  const notes = view.notes
    .map((n) => `<li class="note${n.pending ? " pending" : ""}"><span class="muted">${esc(dateTime(n.created_at))}</span>
      ${esc(n.body)}${n.pending ? ` <em>${esc(t("photo_pending"))}</em>` : ""}</li>`)
    .join("");
  const visits = others
    .map((v) => `<li><a href="#/visit/${v.id}">${esc(dateTime(visitStart(v)))} · ${esc(t(`kind_${v.kind}`))} ·
      ${esc(t(`status_${v.status}`))}</a></li>`)
    .join("");
  return `<ul id="notes" class="notes">${notes}</ul>${visits
    ? `<h3>${esc(t("other_visits_here"))}</h3><ul class="history">${visits}</ul>` : ""}`;
}

// Knowledge-base articles synced for this visit; `body_html` was sanitised on the server.
function articleList(articles) {
  return articles
    .map((a) => `<details class="article" data-article="${esc(String(a.id))}">
      <summary>${esc(a.title)}</summary><div class="article-body">${a.body_html}</div></details>`)
    .join("");
}

export async function visitScreen(visitId) {
  const view = await visitView(visitId);
  if (!view) return false;
  const { visit, customer, site, order } = view;
  const editable = !FINAL.has(visit.status) && !["new", "scheduled"].includes(visit.status);
  const phone = customer?.phone
    ? `<a id="call" class="button" href="tel:${esc(customer.phone.replace(/\s+/g, ""))}">${esc(t("call"))} ${esc(customer.phone)}</a>`
    : "";
  const orderRows = order
    ? `<dl><dt>${esc(t("product_line"))}</dt><dd>${esc(order.product_line)}</dd>
       <dt>${esc(t("stage"))}</dt><dd>${esc(t(`stage_${order.stage}`))}</dd>
       ${order.reference ? `<dt>${esc(t("reference"))}</dt><dd>${esc(order.reference)}</dd>` : ""}</dl>`
    : "";
  const windowText = visit.window_start
    ? t("window", { from: time(visit.window_start), to: time(visit.window_end) }) : "";
  setView(`${await problems.panel((r) => r.args.visit_id === visit.id)}
    <article id="visit" data-visit="${visit.id}" data-status="${esc(visit.status)}">
    <section class="card head">
      <h2><span class="kind kind-${esc(visit.kind)}">${esc(t(`kind_${visit.kind}`))}</span>
        ${esc(time(visitStart(visit)))} <span class="chip" id="visit-status">${esc(t(`status_${visit.status}`))}</span></h2>
      <p class="muted">${esc(windowText)}</p>
      ${visit.description ? `<p>${esc(visit.description)}</p>` : ""}
      ${statusButtons(visit, view.missing)}
    </section>
    ${section(t("customer"), `<p class="who">${esc(customer?.name || "")}</p>${phone}`)}
    ${section(t("address"), `<p>${esc(site?.address || "")}</p>${mapLinks(site, customer?.name)}
      ${site?.access_notes ? `<p class="access"><strong>${esc(t("access_notes"))}:</strong> ${esc(site.access_notes)}</p>` : ""}`)}
    ${order ? section(t("order"), orderRows) : ""}
    ${view.items.length ? section(t("checklist"), checklist(view, editable)) : ""}
    ${view.articles.length ? section(t("articles"), articleList(view.articles), "articles") : ""}
    ${extraPhotos(view)}
    ${!FINAL.has(visit.status) ? section(t("missing_title"), missingList(view.missing), "missing-card") : ""}
    ${section(t("notes"), `${await history(view)}
      <form id="note-form" data-action="add-note" data-on="submit">
        <textarea id="note" maxlength="10000" placeholder="${esc(t("note_placeholder"))}"></textarea>
        <button type="submit" id="add-note" class="secondary">${esc(t("add_note"))}</button>
      </form>`)}
    </article>`);
  showBlobs(view);
  const canvas = $("#signature-pad");
  signaturePad = canvas ? makePad(canvas) : null;
  return true;
}

async function showBlobs(view) {
  for (const img of document.querySelectorAll("img[data-blob]")) {
    const entry = [...view.photos, ...view.signatures].find((p) => p.sha256 === img.dataset.blob)?.blob;
    if (entry?.blob) img.src = URL.createObjectURL(entry.blob);
  }
}

function makePad(canvas) {
  const ratio = Math.max(window.devicePixelRatio || 1, 1);
  canvas.width = canvas.offsetWidth * ratio;
  canvas.height = canvas.offsetHeight * ratio;
  canvas.getContext("2d").scale(ratio, ratio);
  return new SignaturePad(canvas, { backgroundColor: "rgb(255,255,255)" });
}

export const isEditing = () => Boolean(signaturePad && !signaturePad.isEmpty());

function parseAnswer(item, element) {
  const raw = element.value;
  if (item.type === "number") return raw.trim() === "" ? null : Number(raw);
  if (item.type === "boolean") return raw === "yes";
  return raw;
}

// What the buttons and inputs of the visit screen do; `act` queues a mutation.
export function visitHandlers(act, rerender) {
  const current = async () => visitView(Number($("#visit").dataset.visit));
  const base = (view) => view.visit.version;
  return {
    "start-travel": async () => {
      const view = await current();
      await act("visit.start_travel", { visit_id: view.visit.id }, base(view));
    },
    arrive: async () => {
      const view = await current();
      await act("visit.arrive", { visit_id: view.visit.id }, base(view));
    },
    complete: async () => {
      const view = await current();
      if (view.missing.length) return rerender();
      await act("visit.complete", { visit_id: view.visit.id }, base(view));
    },
    incomplete: () => {
      $("#incomplete-form").hidden = false;
      $("#incomplete-reason").focus();
    },
    "cancel-incomplete": () => {
      $("#incomplete-form").hidden = true;
    },
    "confirm-incomplete": async () => {
      const reason = $("#incomplete-reason").value.trim();
      if (!reason) return;
      const view = await current();
      await act("visit.mark_incomplete", { visit_id: view.visit.id, reason }, base(view));
    },
    answer: async (element) => {
      const view = await current();
      const item = view.items.find((i) => i.key === element.dataset.item);
      const value = parseAnswer(item, element);
      const error = answerError(item, value);
      $(`#error-${CSS.escape(item.key)}`).textContent = error ? t(error) : "";
      if (error || value === null || (item.type === "choice" && value === "")) return;
      await act("checklist.set_answer", { visit_id: view.visit.id, item_key: item.key, value }, base(view));
    },
    photo: async (element) => {
      const file = element.files?.[0];
      if (!file) return;
      const view = await current();
      const { blob } = await scalePhoto(file);
      const sha256 = await sha256Hex(blob);
      const photoId = uuid();
      await store.keepBlob({ sha256, blob, size: blob.size, sent: 0, done: false, visit_id: view.visit.id, ref: photoId });
      await act("photo.attach", {
        visit_id: view.visit.id,
        photo_id: photoId,
        sha256,
        kind: element.dataset.kind,
        checklist_item_key: element.dataset.item,
        taken_at: new Date(file.lastModified || Date.now()).toISOString(),
      });
    },
    "clear-signature": () => signaturePad?.clear(),
    "save-signature": async () => {
      const name = $("#signer-name").value.trim();
      if (!signaturePad || signaturePad.isEmpty() || !name) {
        $("#signature-error").textContent = t("signature_empty");
        return;
      }
      const view = await current();
      const blob = await canvasBlob($("#signature-pad"), "image/png");
      const sha256 = await sha256Hex(blob);
      const signatureId = uuid();
      await store.keepBlob({ sha256, blob, size: blob.size, sent: 0, done: false, visit_id: view.visit.id, ref: signatureId });
      signaturePad = null;
      await act("visit.capture_signature", {
        visit_id: view.visit.id, signature_id: signatureId, signer_name: name, sha256,
      });
    },
    "add-note": async () => {
      const body = $("#note").value.trim();
      if (!body) return;
      const view = await current();
      await act("visit.add_note", { visit_id: view.visit.id, note_id: uuid(), body });
    },
  };
}

// Upload progress without redrawing the screen (inputs keep focus, the pad keeps its strokes).
export async function refreshProgress() {
  const thumbsShown = document.querySelectorAll(".thumb[data-sha]");
  for (const el of thumbsShown) {
    const entry = await store.blob(el.dataset.sha);
    if (entry) el.querySelector(".progress").textContent = photoState({ blob: entry, pending: true });
  }
}
