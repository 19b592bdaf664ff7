(() => {
  const rows = JSON.parse(document.getElementById("by-queue-data").textContent);
  const canvas = document.getElementById("by-queue");
  if (!canvas || typeof Chart === "undefined") return;
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: rows.map((r) => r.name),
      datasets: [{ label: "Open tickets", data: rows.map((r) => r.open_count), backgroundColor: "#0d6efd" }],
    },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
})();
