// Small progressive enhancements; every page reads fine without this file.
(function () {
  "use strict";
  // Live indicator: reflect the htmx WebSocket's state on any element with .live-indicator.
  function setLiveState(state, label) {
    document.querySelectorAll(".live-indicator").forEach(function (el) {
      el.dataset.state = state;
      el.textContent = label;
    });
  }
  document.addEventListener("htmx:ws:after:connection", function () { setLiveState("live", "Live"); });
  document.addEventListener("htmx:ws:error", function () { setLiveState("reconnecting", "Reconnecting…"); });

  // The server's close code says whether htmx comes back (hx-ws reconnectCodes): a stall, a slow link or a
  // restart does; "no longer allowed" (1008) and abuse (4xxx) do not. Then the page says so and offers a
  // reload instead of claiming to reconnect for ever.
  var RECONNECT_CODES = [1001, 1005, 1006, 1011, 1012, 1013, 1014];
  function reconnects(code) {
    var codes = (htmx.config.ws && htmx.config.ws.reconnectCodes) || RECONNECT_CODES;
    return code === null || code === undefined || codes.indexOf(code) !== -1;
  }
  function showDisconnected() {
    document.querySelectorAll(".live-indicator").forEach(function (el) {
      el.dataset.state = "closed";
      el.textContent = "Disconnected, not updating · ";
      var reload = document.createElement("button");
      reload.type = "button";
      reload.className = "reload";
      reload.textContent = "Reload";
      reload.addEventListener("click", function () { window.location.reload(); });
      el.appendChild(reload);
    });
  }
  document.addEventListener("htmx:ws:close", function (evt) {
    var code = evt.detail && evt.detail.code;
    if (!reconnects(code)) {
      showDisconnected();
    } else if (navigator.onLine !== false) {
      setLiveState("reconnecting", "Reconnecting…");
    }
  });

  // A page never shows an older state than it already showed. Every live fragment's root, nested ones too,
  // carries data-version (the tournament revision its content was read at). An out-of-band swap is dropped
  // when its fragment is not newer than the element it would replace, or older than a fragment inside that
  // element (a cached scoreboard must not cover a round that was updated after it).
  function versionOf(el) {
    var value = el && el.getAttribute ? el.getAttribute("data-version") : null;
    return value === null || value === "" ? null : Number(value);
  }
  function isBehind(incoming, target) {
    var version = versionOf(incoming);
    if (version === null || !target || !target.querySelectorAll) return false;
    var shown = versionOf(target);
    if (shown !== null && version <= shown) return true;
    var inner = target.querySelectorAll("[data-version]");
    for (var i = 0; i < inner.length; i++) {
      if (versionOf(inner[i]) > version) return true;
    }
    return false;
  }
  document.addEventListener("htmx:before:swap", function (evt) {
    var tasks = evt.detail && evt.detail.tasks;
    if (!tasks) return;
    for (var i = tasks.length - 1; i >= 0; i--) {
      var task = tasks[i];
      if (task.type === "oob" && task.fragment && isBehind(task.fragment.firstElementChild, task.target)) {
        tasks.splice(i, 1);
      }
    }
  });

  // When the device says it is offline, close the live connection instead of letting it linger, and
  // reconnect at once when it is back (not after the backoff has grown): the server then sends the
  // current state of every fragment, so nothing missed while offline stays missing.
  var CONNECT = "hx-ws:connect";
  window.addEventListener("offline", function () {
    document.querySelectorAll("[hx-ws\\:connect]").forEach(function (el) {
      el.dataset.liveUrl = el.getAttribute(CONNECT);
      el.removeAttribute(CONNECT);
      htmx.process(el, true);  // tears the element's socket down; nothing to re-wire without the attribute
    });
    setLiveState("offline", "Offline");
  });
  window.addEventListener("online", function () {
    document.querySelectorAll("[data-live-url]").forEach(function (el) {
      el.setAttribute(CONNECT, el.dataset.liveUrl);
      delete el.dataset.liveUrl;
      htmx.process(el, true);
    });
    setLiveState("reconnecting", "Reconnecting…");
  });

  // Standings: provisional or official. Both tables are on the page and both stay live; the switch only
  // changes which one shows (the link still works without this: ?view=...).
  document.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest(".standings-switch a[data-view]");
    if (!link || evt.ctrlKey || evt.metaKey || evt.shiftKey) return;
    var views = link.closest(".standings-views");
    if (!views) return;
    evt.preventDefault();
    views.dataset.view = link.dataset.view;
    views.querySelectorAll(".standings-switch a").forEach(function (a) {
      if (a === link) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
    });
    history.replaceState(history.state, "", link.href);
  });

  // Toasts fade away after a while; critical ones stay until clicked.
  document.addEventListener("htmx:after:swap", function () {
    document.querySelectorAll("#toasts .toast:not([data-timed])").forEach(function (toast) {
      toast.dataset.timed = "1";
      toast.addEventListener("click", function () { toast.remove(); });
      if (!toast.classList.contains("toast-critical")) {
        setTimeout(function () { toast.remove(); }, 8000);
      }
    });
  });
})();
