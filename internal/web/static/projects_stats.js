// gengxin renewal project statistics: projects by stage in each subdistrict
// (stacked bars) and funding by source (pie), drawn from the JSON block of the page.
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var el = document.getElementById("pstats-data");
  if (!el) { return; }
  var data = JSON.parse(el.textContent);
  var stageColors = ["#98a2b3", "#7cd4fd", "#2e90fa", "#9e77ed", "#f79009", "#12b76a", "#067647"];
  function draw(id, option) {
    var node = document.getElementById(id);
    if (!node) { return; }
    var chart = echarts.init(node);
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
    node.dataset.ready = "1";
  }
  var st = data.stages || {};
  draw("chart-stages", {
    animation: false, tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0, type: "scroll" },
    grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: st.names || [], axisLabel: { interval: 0, width: 90, overflow: "truncate", rotate: 30 } },
    yAxis: { type: "value", minInterval: 1 },
    series: (st.series || []).map(function (s, i) {
      return { type: "bar", stack: "stage", name: s.name, data: s.data || [], itemStyle: { color: stageColors[i % stageColors.length] } };
    })
  });
  draw("chart-sources", {
    animation: false,
    tooltip: { trigger: "item", formatter: function (p) { return p.name + "<br>" + p.value.toLocaleString("zh-CN", { minimumFractionDigits: 2 }) + " (" + p.percent + "%)"; } },
    legend: { bottom: 0, type: "scroll" },
    series: [{ type: "pie", name: (data.labels || {}).yuan, radius: ["35%", "65%"], center: ["50%", "45%"], data: data.sources || [],
      label: { formatter: "{b}\n{d}%" } }]
  });
})();
