// Sort the campaign table of index.html by a column: click a header, or open
// index.html#sort=<key> (add -asc for ascending).  Cells carry their sort value in
// data-v (numbers as numbers), so a sort never parses what is shown.
(function () {
  "use strict";
  var table = document.getElementById("campaign-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var heads = table.querySelectorAll("th[data-key]");

  function value(row, col) {
    var cell = row.cells[col];
    var v = cell ? cell.getAttribute("data-v") : null;
    if (v === null) { return ""; }
    var n = Number(v);
    return v !== "" && !isNaN(n) ? n : v.toLowerCase();
  }

  function sortBy(key, ascending) {
    var col = -1;
    heads.forEach(function (th) {
      if (th.getAttribute("data-key") === key) {
        col = th.cellIndex;
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      } else {
        th.removeAttribute("aria-sort");
      }
    });
    if (col < 0) { return false; }
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, i) { row.__order = i; });
    rows.sort(function (a, b) {
      var x = value(a, col), y = value(b, col);
      if (x < y) { return ascending ? -1 : 1; }
      if (x > y) { return ascending ? 1 : -1; }
      return a.__order - b.__order;  // stable: ties keep the page's order
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.setAttribute("data-sorted", key + (ascending ? "-asc" : ""));
    return true;
  }

  function fromHash() {
    var m = /(?:^|[#&])sort=([a-z_]+)(-asc)?/.exec(window.location.hash);
    if (m) { sortBy(m[1], Boolean(m[2])); }
  }

  heads.forEach(function (th) {
    th.setAttribute("title", "sort by this column (click again to reverse)");
    th.addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      var ascending = th.getAttribute("aria-sort") === "descending";
      sortBy(key, ascending);
      history.replaceState(null, "", "#sort=" + key + (ascending ? "-asc" : ""));
    });
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
