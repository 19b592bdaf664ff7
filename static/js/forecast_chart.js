// Forecast chart on the admin forecast page; data comes from a json_script block (no inline JS).
(function () {
  var d = JSON.parse(document.getElementById("forecast-chart-data").textContent);
  var labels = d.history_days.concat(d.forecast_days);
  var pad = function (n) { return new Array(n).fill(null); };
  var nh = d.history.length;
  new Chart(document.getElementById("forecast-chart"), {
    type: "line",
    data: {
      labels: labels,
      datasets: [
        {label: "Sold (net of returns)", data: d.history.concat(pad(d.mean.length)), borderColor: "#417690", pointRadius: 0, borderWidth: 1.5},
        {label: "Interval high", data: pad(nh).concat(d.hi), borderColor: "rgba(121,174,200,0.2)", backgroundColor: "rgba(121,174,200,0.25)", pointRadius: 0, fill: "+1"},
        {label: "Interval low", data: pad(nh).concat(d.lo), borderColor: "rgba(121,174,200,0.2)", pointRadius: 0, fill: false},
        {label: "Forecast", data: pad(nh).concat(d.mean), borderColor: "#ba2121", pointRadius: 0, borderWidth: 2}
      ]
    },
    options: {maintainAspectRatio: false, animation: false, interaction: {mode: "index", intersect: false},
              scales: {y: {beginAtZero: true, title: {display: true, text: "units per day"}}, x: {ticks: {maxTicksLimit: 12}}}}
  });
})();
