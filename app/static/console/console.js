// The console's script: the run progress bar and confirmations. Plain JavaScript, no build.
(function () {
  "use strict";

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function text(id, value) {
    var el = document.getElementById(id);
    if (el) el.textContent = value;
  }

  // Poll a run's progress until it is done, then reload to show the proposal.
  function watchRun(panel) {
    var url = panel.dataset.url;
    var fill = document.getElementById("progress-fill");
    function tick() {
      fetch(url, { headers: { Accept: "application/json", "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (p) {
          fill.style.width = p.percent + "%";
          text("run-status", p.status);
          text("run-phase", p.phase);
          text("run-cost", p.best_cost === null ? "-" : Math.round(p.best_cost));
          text("run-solutions", p.solutions_found);
          text("run-elapsed", p.elapsed_s === null ? 0 : p.elapsed_s);
          if (p.done) { window.location.reload(); } else { window.setTimeout(tick, 700); }
        })
        .catch(function () { window.setTimeout(tick, 2000); });
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.getElementById("progress");
    if (panel && panel.dataset.done === "false") watchRun(panel);

    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
    // One click per submit: a double click must not start two runs or publish twice.
    document.querySelectorAll("form[method=post]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (event.defaultPrevented) return;
        var button = form.querySelector("button[type=submit]");
        if (button) window.setTimeout(function () { button.disabled = true; }, 0);
      });
    });
    window.consoleCsrf = csrf;
  });
})();
