// Admin: live preview of an article body. The server sanitises the Markdown; the result goes into
// a sandboxed iframe (no scripts, no same-origin), so even a sanitiser miss could not run.
(function () {
  "use strict";
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  document.addEventListener("DOMContentLoaded", function () {
    var frame = document.querySelector("iframe.chat-article-preview");
    var body = document.getElementById("id_body");
    if (!frame || !body) return;
    var timer = null;
    function refresh() {
      var data = new FormData();
      data.append("body", body.value);
      fetch(frame.dataset.previewUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() },
      })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) { frame.srcdoc = html; });
    }
    body.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
    refresh();
  });
})();
