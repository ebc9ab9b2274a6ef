// Notifications on every page: unread badge bumps for broadcasts, duplicate toasts, dismissed alerts.
// Every page reads fine without this file (the badge and the banner are rendered by the server too).
(function () {
  "use strict";
  var DISMISSED = "chessweb.dismissedAlerts";

  function dismissed() {
    try { return JSON.parse(sessionStorage.getItem(DISMISSED) || "[]"); } catch (e) { return []; }
  }

  function hideDismissed() {
    var ids = dismissed();
    document.querySelectorAll("[data-alert]").forEach(function (el) {
      if (ids.indexOf(el.dataset.alert) !== -1) { el.remove(); }
    });
  }

  // The server asks for a fresh connection (preferences changed): its subscriptions then follow them.
  function reconnect() {
    var CONNECT = "hx-ws:connect";
    document.querySelectorAll("[hx-ws\\:connect]").forEach(function (el) {
      var url = el.getAttribute(CONNECT);
      el.removeAttribute(CONNECT);
      htmx.process(el, true);
      el.setAttribute(CONNECT, url);
      htmx.process(el, true);
    });
  }

  function showCount(badge, count) {
    badge.dataset.unread = String(count);
    var label = badge.querySelector(".count");
    if (!count) { if (label) { label.remove(); } }
    else {
      if (!label) { label = document.createElement("span"); label.className = "count"; badge.append(" ", label); }
      label.textContent = String(count);
    }
    badge.setAttribute("aria-label", "Inbox " + count + " unread");  // the name starts with the visible text (WCAG 2.5.3)
  }

  // The pushed unread count wins unless the badge already shows a newer one (see _fragments.html).
  function applyBadgeState() {
    var state = document.getElementById("notice-badge-state");
    var badge = document.getElementById("notice-badge");
    if (!state || !badge) { return; }
    var seen = parseInt(state.dataset.seen || "0", 10);
    // Newer than what the badge shows, and it saw every notice a toast already added to the badge.
    if (parseInt(state.dataset.at || "0", 10) > parseInt(badge.dataset.at || "0", 10)
        && seen >= parseInt(badge.dataset.seen || "0", 10)) {
      badge.dataset.at = state.dataset.at;
      badge.dataset.seen = String(seen);
      showCount(badge, parseInt(state.getAttribute("value") || "0", 10));
    }
  }

  // A broadcast toast counts one more unread notice (personal ones come with their own badge); the same
  // notice heard on two channels (a role and a chosen user) shows once.
  function settleToasts() {
    var seen = {};
    document.querySelectorAll("#toasts [data-reconnect]").forEach(function (toast) {
      toast.removeAttribute("data-reconnect");
      setTimeout(reconnect, 0);  // not from inside the socket's own message handler
    });
    document.querySelectorAll("#toasts [data-notification]").forEach(function (toast) {
      var id = toast.dataset.notification;
      if (seen[id] || toast.dataset.counted === "dup") { toast.remove(); return; }
      seen[id] = true;
      if (!toast.dataset.counted) {
        toast.dataset.counted = "1";
        // A click on a toast closes it (app.js); a click on its Confirm button or link must act instead.
        toast.querySelectorAll("button, a").forEach(function (control) {
          control.addEventListener("click", function (event) { event.stopPropagation(); });
        });
        var delta = parseInt(toast.dataset.unreadDelta || "0", 10);
        var badge = document.getElementById("notice-badge");
        // Only a count that has not seen this notice lacks it: ids grow as notices are made.
        if (delta && badge && parseInt(id, 10) > parseInt(badge.dataset.seen || "0", 10)) {
          showCount(badge, parseInt(badge.dataset.unread || "0", 10) + delta);
          badge.dataset.seen = id;  // a pushed count that has not seen it (an older snapshot) must not undo it
        }
      }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-dismiss-alert]");
    if (!button) { return; }
    event.preventDefault();
    var ids = dismissed();
    ids.push(button.dataset.dismissAlert);
    sessionStorage.setItem(DISMISSED, JSON.stringify(ids.slice(-20)));
    var form = button.closest("form");
    if (form && window.fetch) {  // remembered by the server too, so pages loaded later leave it out
      var token = form.querySelector("[name=csrf_token]");
      var headers = {"HX-Request": "true"};
      try {  // a pushed banner has no token of its own: the page's, as htmx sends it
        headers["X-CSRFToken"] = JSON.parse(document.body.getAttribute("hx-headers:inherited"))["X-CSRFToken"];
      } catch (e) { /* the form's own token below */ }
      var body = new URLSearchParams();
      if (token) { body.append("csrf_token", token.value); }
      fetch(form.action, {method: "POST", body: body, headers: headers, credentials: "same-origin"});
    }
    hideDismissed();
  });

  // Web Push: register the service worker and hand this browser's subscription to the server.
  function base64UrlToBytes(text) {
    var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), function (c) { return c.charCodeAt(0); });
  }
  function enablePush(button) {
    var token = JSON.parse(document.body.getAttribute("hx-headers:inherited"))["X-CSRFToken"];
    navigator.serviceWorker.register("/push-sw.js").then(function (registration) {
      return registration.pushManager.subscribe({userVisibleOnly: true,
        applicationServerKey: base64UrlToBytes(button.dataset.pushKey)});
    }).then(function (subscription) {
      return fetch("/notifications/api/push-subscriptions", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": token}, body: JSON.stringify(subscription)});
    }).then(function () { button.textContent = "Push is on for this device"; button.disabled = true; })
      .catch(function (error) { button.textContent = "Push is not available here: " + error.message; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("[data-push-key]");
    if (button && "serviceWorker" in navigator && "PushManager" in window) {
      button.hidden = false;
      button.addEventListener("click", function () { enablePush(button); });
    }
  });

  document.addEventListener("htmx:after:swap", function () { hideDismissed(); applyBadgeState(); settleToasts(); });
  // Whether this page's live connection is open (tests and styles can wait for it).
  document.addEventListener("htmx:ws:after:connection", function () { document.body.dataset.live = "open"; });
  document.addEventListener("htmx:ws:close", function () { document.body.dataset.live = "closed"; });
  document.addEventListener("DOMContentLoaded", hideDismissed);
})();
