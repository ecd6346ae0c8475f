<script>
// Click (or press Enter on) a table header to sort the rows by that column.
// Columns whose cells all parse as numbers sort numerically; others sort as text.
(function () {
  "use strict";

  function cellText(row, index) {
    var cell = row.cells[index];
    return cell ? cell.textContent.trim() : "";
  }

  function asNumber(text) {
    // Thousands separators, percent signs and unicode minus are common in reports.
    var cleaned = text.replace(/[,\s%]/g, "").replace(/\u2212/g, "-");
    return cleaned !== "" && isFinite(cleaned) ? parseFloat(cleaned) : NaN;
  }

  function sortTable(table, header, index) {
    var body = table.tBodies[0];
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    var numeric = rows.every(function (row) {
      var text = cellText(row, index);
      return text === "" || !isNaN(asNumber(text));
    });
    rows.sort(function (a, b) {
      var x = cellText(a, index);
      var y = cellText(b, index);
      var order = numeric
        ? (x === "" ? -Infinity : asNumber(x)) - (y === "" ? -Infinity : asNumber(y))
        : x.localeCompare(y, undefined, { numeric: true });
      if (isNaN(order)) {
        order = 0; // both cells empty
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
