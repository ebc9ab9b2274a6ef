// Inside the widget's frame: tell the page that holds it (static/js/embed.js) how tall the content is, so the
// <iframe> grows and shrinks with the table instead of scrolling. Only a number is sent, to any parent.
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var last = 0;
  function report() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      window.parent.postMessage({type: "chessweb:embed-height", height: height}, "*");
    }
  }
  if (window.ResizeObserver) { new ResizeObserver(report).observe(document.documentElement); }
  window.addEventListener("load", report);
  report();
})();
