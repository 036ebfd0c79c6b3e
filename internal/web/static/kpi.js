// gengxin case KPIs: the three rates by group, their six-month trend and the
// backlog ageing, drawn from the JSON block of the page.
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var el = document.getElementById("kpi-data");
  if (!el) { return; }
  var data = JSON.parse(el.textContent);
  var L = data.labels;
  var colors = { response: "#0b6bcb", resolution: "#12b76a", satisfaction: "#f79009" };
  var pct = { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value} %" } };
  function draw(id, option) {
    var node = document.getElementById(id);
    if (!node) { return; }
    var chart = echarts.init(node);
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
    node.dataset.ready = "1";
  }
  function rates(kind, source) {
    return ["response", "resolution", "satisfaction"].map(function (k) {
      var s = { type: kind, name: L[k], data: source[k] || [], itemStyle: { color: colors[k] }, lineStyle: { color: colors[k] } };
      if (kind === "line") { s.connectNulls = false; }
      return s;
    });
  }
  var axisNames = { type: "category", axisLabel: { interval: 0, width: 120, overflow: "truncate", rotate: 30 } };
  draw("chart-rates", {
    animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    xAxis: Object.assign({ data: data.groups.names || [] }, axisNames), yAxis: pct,
    series: rates("bar", data.groups)
  });
  draw("chart-trend", {
    animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.trend.months || [] }, yAxis: pct,
    series: rates("line", data.trend)
  });
  var b = data.backlog;
  var ages = [["under", "#98a2b3"], ["one", "#fdb022"], ["three", "#f79009"], ["seven", "#d92d20"]];
  var series = ages.map(function (a) {
    return { type: "bar", stack: "age", name: L[a[0]], data: b[a[0]] || [], itemStyle: { color: a[1] } };
  });
  series.push({ type: "line", name: L.overdue, data: b.overdue || [], itemStyle: { color: "#7a271a" }, lineStyle: { type: "dashed" } });
  draw("chart-backlog", {
    animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    xAxis: Object.assign({ data: b.names || [] }, axisNames), yAxis: { type: "value", minInterval: 1 },
    series: series
  });
})();
