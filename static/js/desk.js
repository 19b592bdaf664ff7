// Canned responses: read when the agent first opens the list (they are not in the page), and
// inserted into the reply box as text only: no HTML is ever interpreted (textContent, .value).
function insertCanned(text) {
  const box = document.querySelector("textarea[name=body]");
  if (!box) return;
  box.value = box.value ? box.value + "\n\n" + text : text;
  box.focus();
}

function cannedButton(response) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "list-group-item list-group-item-action canned";
  const title = document.createElement("strong");
  title.textContent = response.title;
  const preview = document.createElement("small");
  preview.className = "text-body-secondary";
  preview.textContent = response.text.length > 120 ? response.text.slice(0, 119) + "…" : response.text;
  button.append(title, document.createElement("br"), preview);
  button.addEventListener("click", () => insertCanned(response.text));
  return button;
}

const canned = document.getElementById("canned");
if (canned) {
  let loaded = false;
  canned.addEventListener("toggle", () => {
    if (!canned.open || loaded) return;
    loaded = true;
    const list = canned.querySelector(".list-group");
    fetch(canned.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then((data) => {
        if (!data.responses.length) {
          list.textContent = "No canned responses for this queue.";
          list.className = "small text-body-secondary mt-2";
          return;
        }
        list.replaceChildren(...data.responses.map(cannedButton));
      })
      .catch(() => {
        loaded = false; // let the agent try again by reopening the list
        list.textContent = "Could not load the canned responses.";
      });
  });
}
