// Draws every [data-figure] element with plotly.js from the JSON the server embedded,
// and submits the filter forms when a select changes. No build step.
"use strict";
(function () {
  function draw() {
    if (!window.Plotly) return;
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-figure"));
      if (!source) return;
      var fig = JSON.parse(source.textContent);
      window.Plotly.newPlot(el, fig.data, fig.layout, fig.config).then(function () {
        el.setAttribute("data-drawn", "true");
      });
    });
  }
  function autoSubmit() {
    document.querySelectorAll("form.filters select").forEach(function (select) {
      select.addEventListener("change", function () {
        // Empty fields stay out of the URL.
        var form = select.form;
        form.querySelectorAll("input, select").forEach(function (field) {
          if (field.name && field.value === "") field.disabled = true;
        });
        form.submit();
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    draw();
    autoSubmit();
  });
})();
