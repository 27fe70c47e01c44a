// Small progressive enhancements: charts from data-* attributes (Chart.js, served locally)
// and live SLA countdowns. Every page works without this file.
(function () {
  "use strict";
  var palette = ["#0b5cad", "#d8432d", "#1e7b34", "#a15c00", "#6b3fa0"];

  function drawCharts() {
    if (typeof window.Chart === "undefined") return;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var series = JSON.parse(canvas.dataset.series || "[]");
      var twoAxes = series.some(function (s) { return s.axis === "y1"; });
      var scales = { y: { beginAtZero: true, position: "left" } };
      if (twoAxes) scales.y1 = { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } };
      new window.Chart(canvas, {
        type: canvas.dataset.chart,
        data: {
          labels: JSON.parse(canvas.dataset.labels || "[]"),
          datasets: series.map(function (s, i) {
            return { label: s.label, data: s.data, yAxisID: s.axis || "y", borderColor: palette[i % 5],
                     backgroundColor: palette[i % 5], tension: 0.25, pointRadius: 2 };
          })
        },
        options: { animation: false, responsive: true, maintainAspectRatio: true, scales: scales,
                   aspectRatio: window.innerWidth < 700 ? 1.6 : 4,
                   plugins: { legend: { position: "bottom" } } }
      });
      canvas.dataset.drawn = "1";
    });
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = Math.round((Date.parse(el.dataset.due) - now) / 60000);
      var m = Math.abs(left), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mm = m % 60;
      var text = (d ? d + " дн " : "") + h + " ч " + (mm < 10 ? "0" : "") + mm + " мин";
      el.dataset.left = left < 0 ? "просрочено на " + text : "осталось " + text;
      el.title = el.dataset.left;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    tick();
    setInterval(tick, 30000);
  });
})();
