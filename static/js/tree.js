// The KPI tree's arrow keys: ← parent, → first child, ↑ ↓ previous / next sibling (or the
// previous / next node in reading order when there is none). Tab order already walks every
// node; this only adds shortcuts. Works on any <svg data-tree>, also after an htmx swap.
(function () {
  "use strict";
  function nodes(svg) {
    return Array.prototype.slice.call(svg.querySelectorAll(".tree-node"));
  }
  document.addEventListener("keydown", function (event) {
    var node = event.target.closest && event.target.closest(".tree-node");
    if (!node) return;
    var svg = node.closest("svg[data-tree]");
    if (!svg) return;
    var all = nodes(svg);
    var key = node.getAttribute("data-key");
    var parent = node.getAttribute("data-parent");
    var target = null;
    var siblings = all.filter(function (n) { return n.getAttribute("data-parent") === parent; });
    var i = siblings.indexOf(node);
    if (event.key === "ArrowLeft") {
      target = all.find(function (n) { return n.getAttribute("data-key") === parent; });
    } else if (event.key === "ArrowRight") {
      target = all.find(function (n) { return n.getAttribute("data-parent") === key; });
    } else if (event.key === "ArrowDown") {
      target = siblings[i + 1] || all[all.indexOf(node) + 1];
    } else if (event.key === "ArrowUp") {
      target = siblings[i - 1] || all[all.indexOf(node) - 1];
    } else {
      return;
    }
    if (target) {
      event.preventDefault();
      target.focus();
    }
  });
})();
