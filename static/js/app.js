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
  document.addEventListener("htmx:ws:close", function () { setLiveState("reconnecting", "Reconnecting…"); });
  document.addEventListener("htmx:ws:error", function () { setLiveState("reconnecting", "Reconnecting…"); });

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
