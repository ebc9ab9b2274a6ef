// The venue screen shows one panel at a time and moves to the next every `data-period` seconds. Live swaps
// replace the fragments inside the panels, never the panels, so cycling and pushes do not disturb each other.
(function () {
  "use strict";
  var panels = Array.prototype.slice.call(document.querySelectorAll(".screen-panel"));
  var period = Number(document.body.dataset.period) || 15;
  if (panels.length < 2) return;
  var shown = 0;
  function show(index) {
    panels.forEach(function (panel, i) { panel.hidden = i !== index; });
    document.body.dataset.showing = panels[index].dataset.panel;
  }
  show(shown);
  setInterval(function () {
    shown = (shown + 1) % panels.length;
    show(shown);
  }, period * 1000);
})();
