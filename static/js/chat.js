// StockDesk chat widget. Plain JS, no dependencies. Every message is put on the page with
// textContent (never innerHTML) and links are built with DOM APIs from server-made relative URLs.
(function () {
  "use strict";

  var root = document.getElementById("chat-widget");
  if (!root) return;
  var launcher = document.getElementById("chat-launcher");
  if (!launcher) return;
  var panel = document.getElementById("chat-panel");
  var log = document.getElementById("chat-log");
  var scroller = document.getElementById("chat-scroll");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var sendButton = document.getElementById("chat-send");
  var errorBox = document.getElementById("chat-error");
  var closeButton = document.getElementById("chat-close");
  var newButton = document.getElementById("chat-new");
  var handoverButton = document.getElementById("chat-handover");
  var conversationsUrl = root.dataset.conversationsUrl;
  var feedbackUrl = root.dataset.feedbackUrl;
  var loginUrl = root.dataset.loginUrl;
  // One remembered conversation per browser and account ("anon" before login; the server claims
  // the anonymous one for the account after login, so it is carried over).
  var storageKey = "stockdesk-chat";
  var conversationId = null;
  var rendered = {};
  var pollTimer = null;
  var busy = false;
  var currentStatus = "bot";

  function remembered() {
    try { return JSON.parse(localStorage.getItem(storageKey) || "null"); } catch (e) { return null; }
  }
  function remember(id) {
    conversationId = id;
    try {
      if (id) localStorage.setItem(storageKey, JSON.stringify({ id: id, user: root.dataset.user || "" }));
      else localStorage.removeItem(storageKey);
    } catch (e) { /* private mode: the conversation lives as long as the page */ }
  }
  var saved = remembered();
  if (saved && saved.id && (!saved.user || saved.user === (root.dataset.user || ""))) conversationId = saved.id;

  function csrfToken() {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function showError(text) {
    errorBox.textContent = text || "";
    errorBox.hidden = !text;
  }

  function request(method, url, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, ok: response.ok, data: data };
      });
    });
  }

  function safeHref(url) {
    // Links come from the server as site-relative paths; anything else is not made clickable.
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/" ? url : null;
  }

  var senderNames = { customer: "You", bot: "Assistant", system: "StockDesk", agent: "" };

  function buildLinks(entry) {
    var list = document.createElement("ul");
    list.className = "chat-links";
    (entry.links || []).forEach(function (link) {
      var href = safeHref(link.url);
      if (!href) return;
      if (link.kind === "login") href += "?next=" + encodeURIComponent(location.pathname);
      var item = document.createElement("li");
      var anchor = document.createElement("a");
      anchor.href = href;
      anchor.textContent = link.title;
      item.appendChild(anchor);
      list.appendChild(item);
    });
    return list.childNodes.length ? list : null;
  }

  function buildFeedback(entry) {
    var box = document.createElement("div");
    box.className = "chat-feedback";
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Was this answer helpful?");
    // Words rather than emoji: they read the same everywhere, screen readers included.
    [["up", "Helpful"], ["down", "Not helpful"]].forEach(function (choice) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = choice[1];
      button.setAttribute("aria-pressed", entry.feedback === choice[0] ? "true" : "false");
      button.addEventListener("click", function () {
        var url = feedbackUrl.replace("/0/", "/" + entry.id.slice(1) + "/");
        request("POST", url, { value: choice[0] }).then(function (result) {
          if (!result.ok) { showError(result.data.detail || "Could not save your feedback."); return; }
          box.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
          button.setAttribute("aria-pressed", "true");
        });
      });
      box.appendChild(button);
    });
    return box;
  }

  function addEntry(entry) {
    if (rendered[entry.id]) return;
    rendered[entry.id] = true;
    var item = document.createElement("li");
    item.className = "chat-msg chat-msg-" + entry.sender;
    item.dataset.id = entry.id;
    var who = document.createElement("span");
    who.className = "chat-who";
    who.textContent = entry.sender === "agent" ? (entry.author_name || "Our team") : senderNames[entry.sender] || "";
    var text = document.createElement("span");
    text.className = "chat-text";
    text.textContent = entry.text;
    item.appendChild(who);
    item.appendChild(text);
    var links = buildLinks(entry);
    if (links) item.appendChild(links);
    if (entry.rateable && entry.sender === "bot") item.appendChild(buildFeedback(entry));
    log.appendChild(item);
    scroller.scrollTop = scroller.scrollHeight;
  }

  function showConversation(data) {
    remember(data.id);
    (data.messages || []).forEach(addEntry);
    currentStatus = data.status;
    handoverButton.hidden = data.status !== "bot";
  }

  function resetLog() {
    rendered = {};
    currentStatus = "bot";
    while (log.firstChild) log.removeChild(log.firstChild);
  }

  function load() {
    if (!conversationId) return Promise.resolve(null);
    return request("GET", conversationsUrl + conversationId + "/").then(function (result) {
      if (result.status === 404) { remember(null); resetLog(); return null; }
      if (result.ok) showConversation(result.data);
      return result;
    });
  }

  function ensureConversation() {
    if (conversationId) return Promise.resolve(conversationId);
    return request("POST", conversationsUrl).then(function (result) {
      if (!result.ok) throw new Error(result.data.detail || "The chat is not available right now.");
      resetLog();
      showConversation(result.data);
      return result.data.id;
    });
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    handoverButton.disabled = value;
  }

  function send(text) {
    setBusy(true);
    showError("");
    return ensureConversation()
      .then(function (id) {
        return request("POST", conversationsUrl + id + "/messages/", { text: text });
      })
      .then(function (result) {
        if (result.status === 404) { remember(null); resetLog(); throw new Error("That conversation has ended; send your message again to start a new one."); }
        if (!result.ok) throw new Error(result.data.detail || "Your message could not be sent.");
        input.value = "";
        showConversation(result.data);
      })
      .catch(function (error) { showError(error.message); })
      .finally(function () { setBusy(false); input.focus(); });
  }

  function handOver() {
    setBusy(true);
    showError("");
    ensureConversation()
      .then(function (id) { return request("POST", conversationsUrl + id + "/handover/"); })
      .then(function (result) {
        if (result.data.login_required) {
          addEntry({ id: "login-" + Date.now(), sender: "system", text: result.data.detail,
            links: [{ kind: "login", title: "Log in", url: loginUrl }] });
          return;
        }
        if (!result.ok) { showError(result.data.detail || "Could not reach a person right now."); return; }
        showConversation(result.data);
      })
      .catch(function (error) { showError(error.message); })
      .finally(function () { setBusy(false); input.focus(); });
  }

  function startPolling() {
    stopPolling();
    // Agent replies can only arrive after a hand-over; they come by polling while the panel is open.
    pollTimer = setInterval(function () {
      if (!busy && conversationId && currentStatus === "handed_over") load();
    }, 5000);
  }
  function stopPolling() { if (pollTimer) clearInterval(pollTimer); pollTimer = null; }

  // On a phone the panel covers the whole screen, so there it is a modal dialog: the page behind
  // it is inert (no focus, no clicks, hidden from screen readers) and Tab cycles inside it. On a
  // wide screen it is a non-modal panel beside the page.
  var phone = window.matchMedia("(max-width: 576px)");
  var inertSiblings = [];

  function isOpen() { return !panel.hidden; }

  function setModal(modal) {
    panel.setAttribute("aria-modal", modal ? "true" : "false");
    inertSiblings.forEach(function (element) { element.inert = false; });
    inertSiblings = [];
    if (!modal) return;
    Array.prototype.forEach.call(document.body.children, function (element) {
      if (element === root || element.tagName === "SCRIPT" || element.inert) return;
      element.inert = true;
      inertSiblings.push(element);
    });
  }

  function focusables() {
    return Array.prototype.filter.call(
      panel.querySelectorAll("a[href], button, textarea, input, select, [tabindex]:not([tabindex='-1'])"),
      function (element) { return !element.disabled && !element.hidden && element.getClientRects().length > 0; }
    );
  }

  function trapTab(event) {
    if (event.key !== "Tab" || panel.getAttribute("aria-modal") !== "true") return;
    var items = focusables();
    if (!items.length) return;
    var first = items[0];
    var last = items[items.length - 1];
    if (event.shiftKey && (document.activeElement === first || !panel.contains(document.activeElement))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !panel.contains(document.activeElement))) {
      event.preventDefault();
      first.focus();
    }
  }

  phone.addEventListener("change", function () { if (isOpen()) setModal(phone.matches); });

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    setModal(phone.matches);
    load().finally(function () {
      if (!log.firstChild) addEntry({ id: "hello", sender: "bot", text: "Hello! Ask me about an order, a product, delivery, returns or your account." });
    });
    startPolling();
    input.focus();
  }

  function close() {
    panel.hidden = true;
    setModal(false);
    launcher.setAttribute("aria-expanded", "false");
    stopPolling();
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (isOpen()) close(); else open(); });
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); close(); return; }
    trapTab(event);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { showError("Write a message first."); input.focus(); return; }
    if (text.length > 1000) { showError("Messages are at most 1000 characters."); return; }
    if (!busy) send(text);
  });
  input.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter adds a line.
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  handoverButton.addEventListener("click", handOver);
  newButton.addEventListener("click", function () {
    remember(null);
    resetLog();
    showError("");
    handoverButton.hidden = false;
    input.focus();
  });
})();
