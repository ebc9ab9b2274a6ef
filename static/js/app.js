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
