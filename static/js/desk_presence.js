// Collision detection on the desk's ticket page: a heartbeat every few seconds says whether this
// agent is viewing or typing, and the answer lists the other agents on the ticket and any public
// message written since the page was loaded. Plain HTTP polling; names are inserted as text only.
(() => {
  const box = document.getElementById("presence");
  if (!box) return;
  const every = (Number(box.dataset.every) || 12) * 1000;
  const list = document.getElementById("presence-list");
  const newer = document.getElementById("presence-newer");
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  const seen = document.querySelector("input[name=last_seen]");
  const body = document.querySelector("textarea[name=body]");
  let lastTyped = 0;
  let sentState = "viewing";

  function state() {
    return body && body.value.trim() && Date.now() - lastTyped < every ? "typing" : "viewing";
  }

  function form(value) {
    const data = new FormData();
    data.append("state", value);
    if (seen) data.append("last_seen", seen.value);
    if (token) data.append("csrfmiddlewaretoken", token.value);
    return data;
  }

  function show(data) {
    list.replaceChildren(
      ...data.others.map((other) => {
        const item = document.createElement("li");
        const typing = other.state === "typing";
        item.className = "list-inline-item badge " + (typing ? "text-bg-warning" : "text-bg-secondary");
        item.dataset.agent = other.agent;
        item.textContent = other.name + (typing ? " is typing a reply" : " is viewing");
        return item;
      }),
    );
    if (data.newer_messages.length) {
      const last = data.newer_messages[data.newer_messages.length - 1];
      const link = document.createElement("a");
      link.href = window.location.pathname;
      link.className = "alert-link"; // readable on the warning background (WCAG contrast)
      link.textContent = "Reload to read it";
      newer.replaceChildren(
        document.createTextNode(
          `New message by ${last.author} since you opened this ticket` +
            (data.newer_messages.length > 1 ? ` (${data.newer_messages.length} in all)` : "") +
            ". ",
        ),
        link,
        document.createTextNode(" before you send your reply."),
      );
      newer.hidden = false;
    } else {
      newer.hidden = true;
    }
  }

  function beat() {
    sentState = state();
    fetch(box.dataset.src, {
      method: "POST",
      body: form(sentState),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => data && show(data))
      .catch(() => {}); // offline for a moment: the next beat tries again
  }

  if (body) {
    body.addEventListener("input", () => {
      lastTyped = Date.now();
      if (sentState !== "typing") beat(); // others see "typing" at once, not at the next beat
    });
  }
  window.addEventListener("pagehide", () => navigator.sendBeacon(box.dataset.src, form("gone")));
  beat();
  // A tab in the background with no draft is not "viewing": it stops beating (and drops off the
  // others' list after the server's time-out) until it is shown again.
  setInterval(() => {
    if (!document.hidden || (body && body.value.trim())) beat();
  }, every);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) beat();
  });
})();
