/* Charts of the statistics page, drawn with the vendored Chart.js from the JSON the
 * page carries in <script type="application/json" id="stats-data"> (CSP: no inline JS). */
(function () {
  "use strict";
  var COLORS = {
    published: "#2c6b3a",
    pending: "#d9a21b",
    held: "#d9a21b",
    rejected: "#a3352a",
    engine: "#a3352a",
    moderator: "#1f4e79",
    readers: "#7f9bb5",
    neutral: "#5b6570"
  };

  function hourLabel(iso) {
    var d = new Date(iso);
    var hh = String(d.getUTCHours()).padStart(2, "0");
    return hh === "00" ? d.toISOString().slice(5, 10) + " 00h" : hh + "h";
  }

  function bar(id, labels, datasets, options) {
    var el = document.getElementById(id);
    if (!el) return null;
    var chart = new window.Chart(el, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: Object.assign({
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        scales: { x: { stacked: true, grid: { display: false } }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } }
      }, options || {})
    });
    charts.push(chart);
    return chart;
  }

  var charts = [];
  // Chart words in the page's language, from <script type="application/json" id="stats-text">.
  var T = {};
  function t(key, fallback) { return T[key] || fallback; }

  function figures(data) {
    var e = data.engine;
    var set = function (name, text) {
      var el = document.querySelector('[data-figure="' + name + '"]');
      if (el) el.textContent = text;
    };
    set("per-hour-total", String(data.per_hour.total));
    set("engine-published", (e.total ? Math.round(100 * e.published / e.total) : 0) + "%");
    set("median-wait", data.hold_wait.median);
    set("waiting", String(data.hold_wait.waiting));
    set("decided", String(data.hold_wait.decided));
    var note = document.getElementById("period-note");
    if (note) note.textContent = t("period_note", "Last %(days)s days; comments per hour over the last 48 hours.").replace("%(days)s", String(data.days));
  }

  function draw(data) {
    var Chart = window.Chart;
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = "#5b6570";

    var h = data.per_hour;
    bar("chart-per-hour", h.labels.map(hourLabel), [
      { label: t("published", "Published"), data: h.published, backgroundColor: COLORS.published },
      { label: t("pending", "Pending"), data: h.pending, backgroundColor: COLORS.pending },
      { label: t("rejected", "Rejected"), data: h.rejected, backgroundColor: COLORS.rejected }
    ]);

    var e = data.engine;
    var engineEl = document.getElementById("chart-engine");
    if (engineEl) {
      charts.push(new Chart(engineEl, {
        type: "doughnut",
        data: {
          labels: [t("published", "Published"), t("held", "Held"), t("rejected", "Rejected")],
          datasets: [{ data: [e.published, e.held, e.rejected], backgroundColor: [COLORS.published, COLORS.held, COLORS.rejected], borderWidth: 1 }]
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false, cutout: "60%",
          plugins: {
            legend: { position: "right" },
            tooltip: { callbacks: { label: function (ctx) {
              var pct = e.total ? Math.round(100 * ctx.raw / e.total) : 0;
              return ctx.label + ": " + ctx.raw + " (" + pct + "%)";
            } } }
          }
        }
      }));
    }

    var g = data.by_guideline;
    bar("chart-guidelines", g.labels, [
      { label: t("held_engine", "Held by the engine"), data: g.held, backgroundColor: COLORS.held },
      { label: t("rejected_engine", "Rejected by the engine"), data: g.rejected_engine, backgroundColor: COLORS.engine },
      { label: t("hidden_by_reports", "Hidden by reports"), data: g.hidden_by_reports, backgroundColor: COLORS.readers },
      { label: t("rejected_moderator", "Rejected by a moderator"), data: g.rejected_moderator, backgroundColor: COLORS.moderator }
    ], { indexAxis: "y", scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true, grid: { display: false } } } });

    var w = data.hold_wait.buckets;
    bar("chart-wait", w.labels, [
      { label: t("decided", "Held comments decided"), data: w.counts, backgroundColor: COLORS.moderator }
    ], { plugins: { legend: { display: false } } });

    var s = data.reported_stories.stories;
    bar("chart-stories", s.map(function (x) { return x.title.length > 30 ? x.title.slice(0, 29) + "…" : x.title; }), [
      { label: t("reports", "Reports"), data: s.map(function (x) { return x.reports; }), backgroundColor: COLORS.rejected }
    ], { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { grid: { display: false } } } });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("stats-data");
    if (!node || !window.Chart) return;
    var text = document.getElementById("stats-text");
    if (text) T = JSON.parse(text.textContent);
    draw(JSON.parse(node.textContent));
    // Another period: the JSON endpoint feeds the charts, no page load.
    var select = document.getElementById("days");
    if (!select) return;
    select.addEventListener("change", function () {
      var url = select.dataset.statsUrl + "?days=" + encodeURIComponent(select.value);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (data) {
          draw(data);
          figures(data);
          history.replaceState(null, "", "?days=" + data.days);
        })
        .catch(function () { select.form.submit(); });
    });
  });
})();
