// The technician app: start-up, routes, the status line and when to sync.
import { ApiError, NetworkError } from "./api.js";
import { $, delegate, esc } from "./dom.js";
import { setLanguage, language, t, time } from "./i18n.js";
import * as problems from "./problems.js";
import * as screens from "./screens.js";
import * as store from "./store.js";
import * as syncer from "./sync.js";
import { isEditing, refreshProgress, visitHandlers, visitScreen } from "./visit.js";

const SYNC_EVERY_MS = 3 * 60 * 1000;
let signedIn = false;
let again = false;

// -- routes -------------------------------------------------------------------------------------

let drawing = null;
let redraw = null;

// Draw the screen for the current route. Draws never overlap: each reads the store and then
// writes the view, so two at once could finish out of order and leave an older screen over a
// newer one (a sync's redraw of a visit landing after the route list the technician went back
// to). A request made while a draw is running is answered by one more draw after it, which
// reads the route and the store afresh.
function render() {
  if (!drawing) {
    drawing = draw().finally(() => {
      drawing = null;
    });
    return drawing;
  }
  redraw ??= drawing.catch(() => {}).then(() => {
    redraw = null;
    return render();
  });
  return redraw;
}

async function draw() {
  document.documentElement.lang = language();
  document.title = t("app_title");
  $("#title").textContent = t("app_title");
  $("#sync-now").textContent = t("sync_now");
  if (!signedIn) {
    $("#status").hidden = true;
    $("#back").hidden = true;
    if (!$("#sign-in-form")) screens.signInScreen();
    return;
  }
  $("#status").hidden = false;
  const [, route, arg] = (location.hash || "#/").split("/");
  $("#back").hidden = !["visit", "day"].includes(route);
  if (route === "visit") {
    if (!(await visitScreen(Number(arg)))) location.hash = "#/";
  } else if (route === "day") {
    await screens.dayScreen(arg);
  } else if (route === "days") {
    await screens.otherDaysScreen();
  } else if (route === "settings") {
    await settings();
  } else {
    await screens.dayScreen();
  }
  await statusLine();
}

async function settings() {
  await screens.settingsScreen(`<p class="muted">…</p>`);
  let devices = null;
  if (navigator.onLine) devices = await syncer.myDevices().catch(() => null);
  const holder = $("#devices");
  if (holder) {
    holder.innerHTML = `<h2>${esc(t("devices"))}</h2>${screens.devicesList(devices, await store.getMeta("device_id"))}`;
  }
}

// Redraw after a sync unless the technician is in the middle of typing or signing.
function quietRender() {
  const active = document.activeElement;
  const typing = active && $("#view").contains(active) && ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName);
  if (typing || isEditing()) return statusLine();
  return render();
}

// -- the status line ----------------------------------------------------------------------------

async function statusLine() {
  if (!signedIn) return;
  const [last, pendingCount, open, blobs] = await Promise.all([
    store.getMeta("last_synced"),
    store.outboxSize(),
    problems.open(),
    store.blobs(),
  ]);
  const parts = [];
  if (!navigator.onLine) parts.push(`<span class="offline">${esc(t("offline"))}</span>`);
  if (syncer.state.running) parts.push(esc(t("syncing")));
  else parts.push(esc(last ? t("last_synced", { time: time(last) }) : t("never_synced")));
  if (pendingCount) parts.push(`<span id="pending-count" data-n="${pendingCount}">${esc(t("pending_n", { n: pendingCount }))}</span>`);
  const uploads = blobs.filter((b) => !b.done && !b.refused);
  if (uploads.length) {
    parts.push(esc(t("uploading", { done: blobs.length - uploads.length, total: blobs.length })));
  }
  const trouble = open.length + blobs.filter((b) => b.refused).length + (problemText() ? 1 : 0);
  if (trouble) parts.push(`<a href="#/" class="problems-link" id="problem-count">${esc(t("problems_n", { n: trouble }))}</a>`);
  const detail = problemText();
  $("#status-text").innerHTML = parts.join(" · ") + (detail ? `<br><span class="error">${esc(detail)}</span>` : "");
  $("#status").dataset.pending = String(pendingCount);
  $("#status").dataset.uploads = String(uploads.length);
  $("#status").dataset.syncing = String(syncer.state.running);
  $("#status").dataset.lastSynced = last || "";
  $("#sync-now").disabled = syncer.state.running;
}

function problemText() {
  const err = syncer.state.error;
  if (!err || err instanceof NetworkError || err instanceof syncer.SignedOut) return "";
  if (err instanceof syncer.BatchRefused) return refusedText(err);
  return err instanceof ApiError ? `${err.body.message || err.code}` : String(err.message || err);
}

// A whole push refused, in plain words: what it means for the waiting changes.
function refusedText(err) {
  if (err.code === "unsupported_version") return t("refused_unsupported_version", { n: err.waiting });
  if (["mutation_sequence_gap", "mutation_id_reused"].includes(err.code)) {
    return t("refused_numbering", { n: err.waiting });
  }
  return t("refused_other", { n: err.waiting, code: err.code || err.status });
}

// -- syncing ------------------------------------------------------------------------------------

async function requestSync(reason) {
  if (!signedIn) return;
  if (syncer.state.running) {
    again = true;
    return;
  }
  await syncer.sync(reason);
  if (again && signedIn) {
    again = false;
    await requestSync("again");
  }
}

syncer.onChange(async (event) => {
  if (event.type === "signed_out") {
    signedIn = false;
    await store.wipe({ keepOutbox: true });
    screens.signInScreen(t("signed_out_remotely"));
    await render();
    return;
  }
  if (event.type === "upload") {
    await refreshProgress();
    return statusLine();
  }
  if (event.type === "page") return quietRender();
  // A sync that changed nothing (offline, or refused before anything moved) redraws only the
  // status line: the screen under the technician's finger stays as it is.
  if (event.type === "done" && changedAnything(event.report)) return quietRender();
  return statusLine();
});

function changedAnything(report) {
  return Boolean(report.pushed || report.pages || report.resets || report.renumbered || report.problems);
}

// Queue a mutation, show it at once, and send it when the network allows.
async function act(name, args, baseVersion = null) {
  await store.enqueue(name, args, baseVersion);
  await render();
  requestSync("action");
}

// -- what buttons do ------------------------------------------------------------------------------

const handlers = {
  "sign-in": async () => {
    const error = $("#sign-in-error");
    if (!navigator.onLine) {
      error.textContent = t("sign_in_offline");
      return;
    }
    $("#sign-in").disabled = true;
    error.textContent = t("signing_in");
    try {
      await syncer.signIn($("#email").value.trim(), $("#password").value);
    } catch (err) {
      $("#sign-in").disabled = false;
      error.textContent = err instanceof ApiError
        ? t(err.code === "not_a_technician" ? "not_a_technician" : "sign_in_failed")
        : t("sign_in_offline");
      return;
    }
    signedIn = true;
    location.hash = "#/";
    // The first sync starts before anything is drawn: on a slow network every moment counts.
    const first = requestSync("sign-in");
    await render();
    await first;
  },
  language: async (element) => {
    setLanguage(element.dataset.lang);
    if (!signedIn) screens.signInScreen();
    await render();
  },
  "sign-out": async () => {
    await requestSync("sign-out");
    const left = await store.outboxSize();
    if (left && !window.confirm(t("sign_out_pending", { n: left }))) return;
    await syncer.signOut();
    signedIn = false;
    location.hash = "#/";
    screens.signInScreen();
    await render();
  },
  retire: async (element) => {
    if (!window.confirm(t("lost_phone_confirm", { name: element.dataset.name }))) return;
    await syncer.retireDevice(element.dataset.device);
    await settings();
  },
  "dismiss-problems": async (element) => {
    await store.markResultsSeen(element.dataset.ids.split(",").map(Number));
    await render();
  },
};

// -- start --------------------------------------------------------------------------------------

async function start() {
  setLanguage(language());
  delegate($("#view"), { ...handlers, ...visitHandlers(act, render) });
  $("#sync-now").onclick = () => requestSync("button");
  $("#back").onclick = () => history.length > 1 ? history.back() : (location.hash = "#/");
  window.addEventListener("hashchange", render);
  window.addEventListener("online", () => requestSync("online"));
  window.addEventListener("offline", statusLine);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") requestSync("visible");
  });
  setInterval(() => requestSync("timer"), SYNC_EVERY_MS);
  signedIn = Boolean(await store.getMeta("token"));
  await render();
  document.body.dataset.ready = "true";
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/tech/sw.js", { scope: "/tech/" }).catch(() => {});
  }
  requestSync("open");
}

start();
