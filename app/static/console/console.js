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

  // Poll a run's progress until it is done, then reload to show the proposal. How often:
  // the page's data-poll-ms (the CONSOLE_PROGRESS_POLL_MS setting).
  function watchRun(panel) {
    var url = panel.dataset.url;
    var pollMs = parseInt(panel.dataset.pollMs, 10) || 700;
    var fill = document.getElementById("progress-fill");
    function tick() {
      fetch(url, { headers: { Accept: "application/json", "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (p) {
          fill.style.width = p.percent + "%";
          text("run-status", p.status_label || p.status);
          text("run-phase", p.phase_label || p.phase);
          text("run-heartbeat", p.heartbeat_age_s === null ? "-" : p.heartbeat_age_s + " s");
          text("run-solutions", p.solutions_found);
          text("run-elapsed", p.elapsed_s === null ? 0 : p.elapsed_s);
          showZones(p.zones || []);
          if (p.done) { window.location.reload(); } else { window.setTimeout(tick, pollMs); }
        })
        .catch(function () { window.setTimeout(tick, 2000); });
    }
    tick();
  }

  // A large day split across workers: one row per zone, created on the first poll that has them.
  function showZones(zones) {
    if (!zones.length) return;
    var table = document.getElementById("run-zones");
    if (!table) {
      table = document.createElement("table");
      table.id = "run-zones";
      table.className = "zones";
      var head = table.insertRow();
      ["Zone", "Technicians", "Visits", "Phase", "Best cost", "Placed"].forEach(function (h) {
        var th = document.createElement("th");
        th.textContent = h;
        head.appendChild(th);
      });
      document.getElementById("progress-text").after(table);
    }
    zones.forEach(function (z) {
      var row = table.querySelector('tr[data-zone="' + z.zone + '"]');
      if (!row) {
        row = table.insertRow();
        row.dataset.zone = z.zone;
        for (var i = 0; i < 6; i++) row.insertCell();
      }
      var cells = [z.zone + 1, z.technicians, z.visits, z.phase,
        z.best_cost === null ? "-" : Math.round(z.best_cost), z.placed === null ? "-" : z.placed];
      cells.forEach(function (value, i) { row.cells[i].textContent = value; });
    });
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
    document.querySelectorAll(".timeline.editable").forEach(enableDragToMove);
    var map = document.getElementById("route-map");
    if (map) enableRouteFocus(map);
  });

  // Pick one route out on the map (and its row on the timeline): hovering shows it for a
  // moment, a click or the selector keeps it until another click or "all routes".
  function enableRouteFocus(map) {
    var select = document.getElementById("map-focus");
    var kept = "";
    function show(technician) {
      map.classList.toggle("focused", Boolean(technician));
      map.querySelectorAll(".route").forEach(function (route) {
        var on = route.dataset.technician === technician;
        route.classList.toggle("focus", on);
        if (on) route.parentNode.appendChild(route); // drawn last: on top of the others
      });
      document.querySelectorAll(".timeline.editable .tl-row").forEach(function (row) {
        row.classList.toggle("focus", Boolean(technician) && row.dataset.technician === technician);
      });
    }
    function keep(technician) {
      kept = technician === kept ? "" : technician;
      if (select) select.value = kept;
      show(kept);
    }
    map.querySelectorAll(".route").forEach(function (route) {
      route.addEventListener("mouseenter", function () { show(route.dataset.technician); });
      route.addEventListener("mouseleave", function () { show(kept); });
      route.addEventListener("click", function () { keep(route.dataset.technician); });
    });
    document.querySelectorAll(".timeline.editable .tl-row").forEach(function (row) {
      var name = row.querySelector(".tl-name");
      name.addEventListener("mouseenter", function () { show(row.dataset.technician); });
      name.addEventListener("mouseleave", function () { show(kept); });
      name.addEventListener("click", function () { keep(row.dataset.technician); });
    });
    if (select) select.addEventListener("change", function () { kept = ""; keep(select.value); });
  }

  function showError(message) {
    var main = document.querySelector("main");
    var div = document.createElement("div");
    div.className = "flash flash-error";
    div.setAttribute("role", "alert");
    div.id = "move-error";
    div.textContent = message;
    var old = document.getElementById("move-error");
    if (old) old.remove();
    main.insertBefore(div, main.firstChild);
    window.scrollTo(0, 0);
  }

  // Drag a visit (a block, or an unassigned visit) onto a technician's row at a time.
  function enableDragToMove(timeline) {
    var first = Number(timeline.dataset.firstMinute);
    var span = Number(timeline.dataset.spanMinutes);
    var day = timeline.dataset.day;
    document.querySelectorAll("[data-move]").forEach(function (item) {
      item.addEventListener("dragstart", function (event) {
        event.dataTransfer.setData("text/plain", item.dataset.move);
        event.dataTransfer.effectAllowed = "move";
      });
    });
    timeline.querySelectorAll(".tl-row").forEach(function (row) {
      var track = row.querySelector(".tl-track");
      track.addEventListener("dragover", function (event) {
        event.preventDefault();
        track.classList.add("drop-target");
      });
      track.addEventListener("dragleave", function () { track.classList.remove("drop-target"); });
      track.addEventListener("drop", function (event) {
        event.preventDefault();
        track.classList.remove("drop-target");
        var url = event.dataTransfer.getData("text/plain");
        if (!url) return;
        var rect = track.getBoundingClientRect();
        var minute = first + Math.round(((event.clientX - rect.left) / rect.width) * span / 5) * 5;
        moveVisit(url, row.dataset.technician, day, minute);
      });
    });
  }

  function moveVisit(url, technicianId, day, minute) {
    var body = new FormData();
    body.append("csrf_token", csrf());
    body.append("technician_id", technicianId);
    body.append("date", day);
    body.append("time", String(Math.floor(minute / 60)).padStart(2, "0") + ":" +
      String(minute % 60).padStart(2, "0"));
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-Requested-With": "fetch" }
    })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
      .then(function (result) {
        if (result.ok) { window.location.reload(); } else { showError(result.data.message); }
      })
      .catch(function () { showError(document.body.dataset.msgMoveFailed); });
  }
  window.consoleMoveVisit = moveVisit;
})();
