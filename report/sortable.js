<script>
// Click (or press Enter on) a table header to sort the rows by that column.
// A column whose cells all start with a number (or are empty, "n/a") sorts by that number;
// any other column sorts as text.
(function () {
  "use strict";

  function cellText(row, index) {
    var cell = row.cells[index];
    return cell ? cell.textContent.trim() : "";
  }

  // The number a cell starts with: "0.9377 ± 0.0040 (…)" sorts as 0.9377, "25,450" as 25450,
  // "< 0.001" just below 0.001; NaN when the cell does not start with a number.
  function asNumber(text) {
    var cleaned = text.replace(/\u2212/g, "-").replace(/,/g, "");
    var below = /^<\s*/.test(cleaned);
    var match = cleaned.replace(/^<\s*/, "").match(/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?/i);
    if (!match) {
      return NaN;
    }
    var value = parseFloat(match[0]);
    return below ? value - 1e-12 : value;
  }

  function isMissing(text) {
    return text === "" || text === "n/a";
  }

  function sortTable(table, header, index) {
    var body = table.tBodies[0];
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    var numeric = rows.every(function (row) {
      var text = cellText(row, index);
      return isMissing(text) || !isNaN(asNumber(text));
    });
    rows.sort(function (a, b) {
      var x = cellText(a, index);
      var y = cellText(b, index);
      var order = numeric
        ? (isMissing(x) ? -Infinity : asNumber(x)) - (isMissing(y) ? -Infinity : asNumber(y))
        : x.localeCompare(y, undefined, { numeric: true });
      if (isNaN(order)) {
        order = 0; // both cells missing
      }
      return ascending ? order : -order;
    });
    rows.forEach(function (row) {
      body.appendChild(row);
    });
    Array.prototype.forEach.call(header.parentNode.cells, function (other) {
      other.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  document.querySelectorAll("table").forEach(function (table) {
    if (!table.tHead || !table.tBodies.length) {
      return;
    }
    var headers = table.tHead.rows[table.tHead.rows.length - 1].cells;
    Array.prototype.forEach.call(headers, function (header, index) {
      header.setAttribute("data-sortable", "");
      header.setAttribute("tabindex", "0");
      header.setAttribute("title", "Sort by this column");
      header.addEventListener("click", function () {
        sortTable(table, header, index);
      });
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sortTable(table, header, index);
        }
      });
    });
  });
})();
</script>
