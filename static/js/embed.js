// The one-<script>-tag form of the ChessWeb widget. A club's page adds
//   <script src="https://chess.example.org/static/js/embed.js" data-tournament="7" data-view="standings"
//           data-theme="auto" async></script>
// and this puts an <iframe> of /embed/tournaments/7/<view> (standings or pairings) in the script's place. The
// frame's page is ChessWeb's own, so its live socket comes from ChessWeb's origin (the socket's Origin check is
// unchanged); this script only creates the frame and sets its height from the frame's messages.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var origin = new URL(script.src, document.baseURI).origin;
  var tournament = script.getAttribute("data-tournament") || "";
  var view = script.getAttribute("data-view") === "pairings" ? "pairings" : "standings";
  var theme = script.getAttribute("data-theme") || "auto";
  if (!/^[1-9][0-9]{0,8}$/.test(tournament)) {
    if (window.console) { console.error("ChessWeb widget: data-tournament must be a tournament number"); }
    return;
  }
  var frame = document.createElement("iframe");
  frame.src = origin + "/embed/tournaments/" + tournament + "/" + view + "?theme=" + encodeURIComponent(theme);
  frame.title = script.getAttribute("data-title") || (view === "pairings" ? "Live pairings" : "Live standings");
  frame.className = "chessweb-widget";
  frame.style.width = "100%";
  frame.style.border = "0";
  frame.style.height = (parseInt(script.getAttribute("data-height"), 10) || 400) + "px";
  window.addEventListener("message", function (event) {
    if (event.source !== frame.contentWindow || event.origin !== origin) { return; }
    var data = event.data;
    if (data && data.type === "chessweb:embed-height" && typeof data.height === "number" && data.height > 0) {
      frame.style.height = Math.min(Math.ceil(data.height), 20000) + "px";
    }
  });
  script.parentNode.insertBefore(frame, script.nextSibling);
})();
