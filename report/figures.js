<script>
// Makes the report's charts explorable, with no library and nothing fetched:
// - each chart (an SVG that pandoc embedded as a data: image) is put inline, so that its parts
//   can be reached; hovering over a point, line or matrix cell shows its exact values
//   (the chart's own <title> elements);
// - clicking a variant in a chart's legend hides or shows that variant's series in the chart;
// - dragging a box over a chart zooms into it, double-clicking zooms back out;
// - following a link to a variant's details opens them.
(function () {
  "use strict";

  function inline(image) {
    var source = image.getAttribute("src") || "";
    var prefix = "data:image/svg+xml;base64,";
    if (source.indexOf(prefix) !== 0) {
      return null;
    }
    var bytes = Uint8Array.from(atob(source.slice(prefix.length)), function (c) {
      return c.charCodeAt(0);
    });
    var text = new TextDecoder("utf-8").decode(bytes);
    var svg = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
    if (!svg || svg.nodeName !== "svg" || !svg.classList.contains("archstudy-chart")) {
      return null;
    }
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", image.getAttribute("alt") || image.getAttribute("aria-label") || "");
    // As wide as the text allows, up to 1.3 times its printed size (its text then reads at
    // about 13 px); the height follows the viewBox.
    var width = parseFloat(svg.getAttribute("width")) || 0;
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    if (width) {
      svg.style.maxWidth = (width * 1.3).toFixed(0) + "pt";
    }
    svg = document.importNode(svg, true);
    image.replaceWith(svg);
    return svg;
  }

  function toggle(svg, key) {
    var hidden = svg.getAttribute("data-hidden-" + key) !== "1";
    svg.setAttribute("data-hidden-" + key, hidden ? "1" : "0");
    svg.querySelectorAll('.series[data-variant="' + key + '"]').forEach(function (part) {
      part.style.display = hidden ? "none" : "";
    });
    svg.querySelectorAll('.legend[data-variant="' + key + '"]').forEach(function (entry) {
      entry.style.opacity = hidden ? "0.3" : "";
    });
  }

  function point(svg, event) {
    var matrix = svg.getScreenCTM();
    var at = svg.createSVGPoint();
    at.x = event.clientX;
    at.y = event.clientY;
    return matrix ? at.matrixTransform(matrix.inverse()) : at;
  }

  function zoomable(svg) {
    var original = svg.getAttribute("viewBox");
    var start = null;
    var box = null;
    svg.addEventListener("mousedown", function (event) {
      if (event.button !== 0 || event.target.closest(".legend")) {
        return;
      }
      start = point(svg, event);
      box = document.createElementNS("http://www.w3.org/2000/svg", "rect");
      box.setAttribute("class", "zoom-box");
      svg.appendChild(box);
      event.preventDefault();
    });
    svg.addEventListener("mousemove", function (event) {
      if (!start) {
        return;
      }
      var now = point(svg, event);
      box.setAttribute("x", Math.min(start.x, now.x));
      box.setAttribute("y", Math.min(start.y, now.y));
      box.setAttribute("width", Math.abs(now.x - start.x));
      box.setAttribute("height", Math.abs(now.y - start.y));
    });
    function finish(event) {
      if (!start) {
        return;
      }
      var now = point(svg, event);
      var width = Math.abs(now.x - start.x);
      var height = Math.abs(now.y - start.y);
      if (width > 8 && height > 8) {
        svg.setAttribute(
          "viewBox",
          [Math.min(start.x, now.x), Math.min(start.y, now.y), width, height].join(" ")
        );
        svg.classList.add("zoomed");
      }
      box.remove();
      start = null;
    }
    svg.addEventListener("mouseup", finish);
    svg.addEventListener("mouseleave", finish);
    svg.addEventListener("dblclick", function () {
      svg.setAttribute("viewBox", original);
      svg.classList.remove("zoomed");
    });
  }

  function openTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    var details = target && target.closest("details");
    if (details) {
      details.open = true;
      details.scrollIntoView();
    }
  }

  Array.prototype.slice.call(document.querySelectorAll("img")).forEach(function (image) {
    var svg = inline(image);
    if (!svg) {
      return;
    }
    svg.querySelectorAll(".legend").forEach(function (entry) {
      entry.addEventListener("click", function () {
        toggle(svg, entry.getAttribute("data-variant"));
      });
    });
    zoomable(svg);
  });
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
</script>
