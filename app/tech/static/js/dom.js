// Small DOM helpers: escaping for HTML templates, and event delegation by data-action.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export const esc = (value) =>
  value === null || value === undefined ? "" : String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

export function setView(html) {
  const view = $("#view");
  view.innerHTML = html;
  return view;
}

// Run handlers[action](element, event) for clicks/changes on [data-action] inside root.
export function delegate(root, handlers) {
  const run = (event) => {
    const target = event.target.closest("[data-action]");
    if (!target || !root.contains(target)) return;
    const kind = target.dataset.on || "click";
    if (event.type !== kind) return;
    const handler = handlers[target.dataset.action];
    if (handler) {
      event.preventDefault?.();
      handler(target, event);
    }
  };
  root.onclick = run;
  root.onchange = run;
  root.onsubmit = run;
}

export const uuid = () => crypto.randomUUID();
