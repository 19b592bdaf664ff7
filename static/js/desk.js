// Insert a canned response into the reply box (text only: no HTML is ever interpreted).
document.querySelectorAll("button.canned").forEach((button) => {
  button.addEventListener("click", () => {
    const box = document.querySelector("textarea[name=body]");
    if (!box) return;
    box.value = box.value ? box.value + "\n\n" + button.dataset.text : button.dataset.text;
    box.focus();
  });
});
