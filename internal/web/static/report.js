// gengxin checkup report: charts of failing objects and of coverage.
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var failing = document.getElementById("chart-failing");
  if (failing && data.failing.names) {
    echarts.init(failing).setOption({
      animation: false,
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      tooltip: {},
      xAxis: { type: "value" },
      yAxis: { type: "category", data: data.failing.names.slice().reverse(), axisLabel: { width: 220, overflow: "truncate" } },
      series: [{ type: "bar", name: data.failing.label, data: data.failing.values.slice().reverse(), itemStyle: { color: "#b42318" } }]
    });
    failing.dataset.ready = "1";
  }
  var coverage = document.getElementById("chart-coverage");
  if (coverage && data.coverage.names) {
    echarts.init(coverage).setOption({
      animation: false,
      grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
      tooltip: {}, legend: { top: 0 },
      xAxis: { type: "category", data: data.coverage.names, axisLabel: { interval: 0, width: 160, overflow: "break" } },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value} %" } },
      series: [
        { type: "bar", name: data.coverage.walkLabel, data: data.coverage.walk, itemStyle: { color: "#0b6bcb" } },
        { type: "bar", name: data.coverage.lineLabel, data: data.coverage.line, itemStyle: { color: "#98a2b3" } }
      ]
    });
    coverage.dataset.ready = "1";
  }
})();
(function () {
  "use strict";
  var b = document.getElementById("print");
  if (b) { b.addEventListener("click", function () { window.print(); }); }
})();
