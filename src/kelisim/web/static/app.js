// kelisim's light script layer: the period slider and auto-submitting selects.
// Served from the package; the CSP forbids inline script, so every handler is bound here.
document.addEventListener("DOMContentLoaded", function () {
  var slider = document.getElementById("period");
  if (slider) {
    var periods = slider.dataset.periods.split(",");
    var out = document.getElementById("period-out");
    var hidden = document.getElementById("period-value");
    slider.addEventListener("input", function () {
      out.textContent = periods[slider.value];
      hidden.value = periods[slider.value];
    });
  }
  document.querySelectorAll(".autosubmit").forEach(function (el) {
    el.addEventListener("change", function () {
      // another indicator or group has its own years: let the server pick the best one
      if (el.name === "indicator" || el.name === "group") {
        var hidden = document.getElementById("period-value");
        if (hidden) { hidden.value = ""; }
      }
      el.form.submit();
    });
  });
});
