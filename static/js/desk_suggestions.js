// Suggested answers beside the reply form: help-centre articles (the chat's search) and the
// queue's canned answers, best first; one click inserts the text into the reply box. Text only:
// nothing from the server is ever interpreted as HTML (textContent, .value).
(() => {
  const box = document.getElementById("suggestions");
  if (!box) return;
  const list = document.getElementById("suggestions-list");
  const status = document.getElementById("suggestions-status");
  const order = document.getElementById("suggestions-order");

  function insert(text) {
    const reply = document.querySelector("textarea[name=body]");
    if (!reply) return;
    reply.value = reply.value ? reply.value + "\n\n" + text : text;
    reply.dispatchEvent(new Event("input", { bubbles: true })); // others see "typing"
    reply.focus();
  }

  function item(suggestion) {
    const row = document.createElement("div");
    row.className = "list-group-item d-flex flex-wrap gap-2 align-items-start justify-content-between";
    const what = document.createElement("div");
    what.className = "flex-grow-1";
    const kind = document.createElement("span");
    kind.className = "badge text-bg-light border me-1";
    kind.textContent = suggestion.kind === "article" ? "Article" : "Canned";
    const title = suggestion.url ? document.createElement("a") : document.createElement("strong");
    title.textContent = suggestion.title;
    if (suggestion.url) {
      title.href = suggestion.url;
      title.target = "_blank";
      title.rel = "noopener";
    }
    const preview = document.createElement("div");
    preview.className = "small text-body-secondary text-break";
    preview.textContent = suggestion.text.length > 140 ? suggestion.text.slice(0, 139) + "…" : suggestion.text;
    what.append(kind, title, preview);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-outline-primary btn-sm";
    button.textContent = "Insert";
    button.setAttribute("aria-label", "Insert “" + suggestion.title + "” into the reply");
    button.addEventListener("click", () => insert(suggestion.text));
    row.append(what, button);
    return row;
  }

  function showOrder(data) {
    if (!data) return;
    const lines = order.querySelector("ul");
    const head = document.createElement("li");
    head.className = "fw-semibold";
    head.textContent = `${data.number} · ${data.status}`;
    lines.replaceChildren(
      head,
      ...data.lines.map((line) => {
        const li = document.createElement("li");
        li.textContent = `${line.quantity} × ${line.product} · ${line.status.toLowerCase()} · ${line.on_hand} in stock`;
        return li;
      }),
    );
    order.hidden = false;
  }

  fetch(box.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) => {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    })
    .then((data) => {
      const all = [...data.articles, ...data.canned];
      list.replaceChildren(...all.map(item));
      status.textContent = all.length ? "" : "No suggestions for this ticket.";
      status.hidden = !!all.length;
      showOrder(data.order);
    })
    .catch(() => {
      status.textContent = "Could not load the suggestions.";
    });
})();
