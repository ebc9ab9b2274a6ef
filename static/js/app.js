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
  // Without JavaScript (or when this file never arrives) the page says it is not live; with it, the live
  // indicator takes that note's place. Not a <noscript>: that also covers a script blocked or failed to load.
  document.querySelectorAll(".live-off").forEach(function (el) { el.remove(); });
  document.querySelectorAll(".live-indicator[hidden]").forEach(function (el) { el.hidden = false; });
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
      } else if (task.type === "oob" && task.target) {
        keepTyping(task.target, task.fragment);
      } else if (task.target && !task.target.isConnected && task.target.id) {
        // The answer to a form whose row a push replaced while the request was on its way: it goes to the
        // row now on the page (same id), not into the detached old one where nobody would see it.
        var current = document.getElementById(task.target.id);
        if (current) task.target = current;
      }
    }
  });

  // A live fragment with forms (the arbiter's result entry) is replaced whenever anything in it changes. What
  // the user chose or typed in a form, and its "Saved" note, survive the swap when the form acts on the same
  // version as before: a board someone else changed meanwhile is shown as it is now, to be decided again.
  function formKey(form) {
    var version = form.querySelector("input[name=version]");
    return (form.getAttribute("action") || "") + "@" + (version ? version.value : "");
  }
  function changedFields(form) {
    var fields = [];
    form.querySelectorAll("select, input[type=text], textarea").forEach(function (field) {
      var changed = field.hasAttribute("data-kept") || (field.tagName === "SELECT"
        ? Array.prototype.some.call(field.options, function (o) { return o.selected !== o.defaultSelected; })
        : field.value !== field.defaultValue);
      if (changed) fields.push({ name: field.name, value: field.value, focused: field === document.activeElement });
    });
    return fields;
  }
  // Written into the incoming fragment before it is swapped in (as attributes, so they hold wherever htmx
  // moves or clones its nodes), marked data-kept so that the next push keeps them too.
  function keepTyping(target, incoming) {
    if (!target.querySelectorAll || !incoming || !incoming.querySelectorAll) return;
    var refocus = null;
    target.querySelectorAll("form").forEach(function (form) {
      var fields = changedFields(form);
      var notes = form.querySelectorAll(".saved");
      if (!fields.length && !notes.length) return;
      var key = formKey(form);
      incoming.querySelectorAll("form").forEach(function (next) {
        if (formKey(next) !== key) return;
        fields.forEach(function (saved) {
          var field = next.querySelector("[name='" + saved.name + "']");
          if (!field) return;
          field.setAttribute("data-kept", "");
          if (field.tagName === "SELECT") {
            Array.prototype.forEach.call(field.options, function (o) {
              if (o.value === saved.value) o.setAttribute("selected", ""); else o.removeAttribute("selected");
            });
          } else {
            field.setAttribute("value", saved.value);
          }
          if (saved.focused) refocus = { key: key, name: saved.name };
        });
        if (notes.length && !next.querySelector(".saved")) {
          Array.prototype.forEach.call(notes, function (n) { next.appendChild(n.cloneNode(true)); });
        }
      });
    });
    if (refocus) {
      setTimeout(function () {
        document.querySelectorAll("form").forEach(function (form) {
          var field = formKey(form) === refocus.key && form.querySelector("[name='" + refocus.name + "']");
          if (field) field.focus();
        });
      }, 0);
    }
  }

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

  // A pushed fragment is rendered once for every viewer, so its forms carry no CSRF token: give such a form the
  // page's own token (the one htmx sends as X-CSRFToken) when it is submitted, and the page the user is on as
  // the place to come back to. Capture phase: before htmx serializes an hx-post form.
  function pageToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers:inherited") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form || form.tagName !== "FORM" || (form.method || "").toLowerCase() !== "post") return;
    if (!form.querySelector("input[name=csrf_token]")) {
      var token = document.createElement("input");
      token.type = "hidden";
      token.name = "csrf_token";
      token.value = pageToken();
      form.appendChild(token);
    }
    var next = form.querySelector("input[name=next]");
    if (next && !next.value) next.value = window.location.pathname;
  }, true);

  // Countdowns and relative times run on the server's clock: the page says what time it was made at
  // (<meta name="server-time">), and the difference to the device's clock is applied to every reading.
  var serverMeta = document.querySelector("meta[name=server-time]");
  var clockOffset = serverMeta ? Number(serverMeta.content) - Date.now() : 0;
  function serverNow() { return Date.now() + clockOffset; }
  function spell(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (h) return h + " h " + m + " min";
    if (m >= 10) return m + " min";
    return m + " min " + (sec < 10 ? "0" : "") + sec + " s";
  }
  function relative(ms) {
    var minutes = Math.round(Math.abs(ms) / 60000);
    var text = minutes < 1 ? "less than a minute" : minutes < 60 ? minutes + " min"
      : minutes < 2880 ? Math.round(minutes / 60) + " h" : Math.round(minutes / 1440) + " days";
    return ms < 0 ? text + " ago" : "in " + text;
  }
  function tick() {
    var now = serverNow();
    document.querySelectorAll("time[data-countdown]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("datetime")) - now;
      var out = el.parentNode && el.parentNode.querySelector(".countdown");
      if (!out || isNaN(left)) return;
      out.textContent = left > 0 ? "· in " + spell(left) : "· started " + spell(left) + " ago";
      out.dataset.state = left > 0 ? "upcoming" : "started";
    });
    document.querySelectorAll("time[data-relative]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (isNaN(at)) return;
      if (!el.title) el.title = el.textContent;
      el.textContent = el.title + " (" + relative(at - now) + ")";
    });
  }
  tick();
  setInterval(tick, 1000);
  document.addEventListener("htmx:after:swap", tick);

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
