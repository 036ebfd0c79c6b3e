// gengxin survey dashboard: coverage and support per building, and the answer
// distribution of every question, drawn from the JSON in #survey-data.
(function () {
  "use strict";
  var holder = document.getElementById("survey-data");
  if (!window.echarts || !holder) { return; }
  var data = JSON.parse(holder.textContent);
  var charts = [];
  var b = data.buildings;
  var el = document.getElementById("chart-buildings");
  if (el && b && b.names && b.names.length) {
    var series = [{ type: "bar", name: b.coverage_label, data: b.coverage, itemStyle: { color: "#98a2b3" } }];
    if (b.support && b.support.length) {
      series.push({ type: "bar", name: b.support_label, data: b.support, itemStyle: { color: "#2f855a" } });
    }
    var c = echarts.init(el);
    c.setOption({
      animation: false,
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + " %"; } },
      legend: { top: 0 },
      xAxis: { type: "category", data: b.names, axisLabel: { interval: 0, rotate: b.names.length > 8 ? 40 : 0 } },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value} %" } },
      series: series
    });
    charts.push(c);
    el.dataset.ready = "1";
  }
  (data.questions || []).forEach(function (q) {
    var box = document.getElementById("chart-q-" + q.id);
    if (!box) { return; }
    var qc = echarts.init(box);
    qc.setOption({
      animation: false,
      grid: { left: 8, right: 32, top: 8, bottom: 8, containLabel: true },
      tooltip: {},
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: q.labels.slice().reverse(), axisLabel: { width: 140, overflow: "truncate" } },
      series: [{ type: "bar", name: q.title, data: q.values.slice().reverse(), itemStyle: { color: "#0b6bcb" }, label: { show: true, position: "right" } }]
    });
    charts.push(qc);
    box.dataset.ready = "1";
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
