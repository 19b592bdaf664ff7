// Charts of the desk reports page, drawn from the figures the page also shows as tables.
(() => {
  const source = document.getElementById("report-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const backlog = document.getElementById("backlog-chart");
  if (backlog) {
    new Chart(backlog, {
      type: "line",
      data: {
        labels: data.backlog.labels,
        datasets: [{ label: "Open tickets", data: data.backlog.open, borderColor: "#0a58ca", backgroundColor: "#0a58ca", tension: 0.2 }],
      },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
  const rating = document.getElementById("rating-chart");
  if (rating) {
    new Chart(rating, {
      type: "bar",
      data: {
        labels: data.rating_by_agent.labels,
        datasets: [{ label: "Average rating", data: data.rating_by_agent.average, backgroundColor: "#0a58ca" }],
      },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { min: 0, max: 5 } } },
    });
  }
})();
