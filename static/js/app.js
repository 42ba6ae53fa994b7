// Shared behaviour for every page. No inline scripts (the CSP forbids them).
(function () {
  "use strict";

  // Progress feedback: a submitted form's button shows a spinner and is marked busy,
  // which also stops a double tap from sending the same dose twice.
  // A form with data-confirm="question" asks first (removing access, deleting): a slip of the
  // thumb should not end someone's access. Without JavaScript the form simply submits.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.submitted === "1") { event.preventDefault(); return; }
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    var button = event.submitter || form.querySelector("[type=submit]");
    if (button) { button.classList.add("is-busy"); button.setAttribute("aria-busy", "true"); }
  });

  // Coming back with the Back button shows the page from the cache: make its forms usable again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitted]").forEach(function (form) {
      delete form.dataset.submitted;
      form.querySelectorAll(".is-busy").forEach(function (b) { b.classList.remove("is-busy"); b.removeAttribute("aria-busy"); });
    });
  });

  // A wide table or chart that scrolls sideways on a phone must scroll by keyboard too:
  // make the scrolling box focusable, and name it after its caption or section heading.
  function nameFor(box) {
    var caption = box.querySelector("caption, figcaption");
    if (caption && caption.textContent.trim()) { return caption.textContent.trim(); }
    var section = box.closest("section, figure, [aria-labelledby]");
    var labelledBy = section && section.getAttribute("aria-labelledby");
    var heading = labelledBy ? document.getElementById(labelledBy) : section && section.querySelector("h1, h2, h3, h4");
    return heading && heading.textContent.trim() ? heading.textContent.trim() : "Scrollable content";
  }
  function keyboardScrollable() {
    document.querySelectorAll(".table-responsive, .chart-scroll, [data-scroll-region]").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (!scrolls || box.hasAttribute("tabindex")) { return; }
      box.setAttribute("tabindex", "0");
      if (!box.hasAttribute("role")) { box.setAttribute("role", "region"); }
      if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
        box.setAttribute("aria-label", nameFor(box) + " (scrolls sideways)");
      }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", keyboardScrollable); } else { keyboardScrollable(); }

  // Issue 16 (point 6): a chart of weeks (the calendar, the weekly bars) opens on the newest week,
  // at the right end of its sideways-scrolling box, on a phone and on a desktop alike.
  document.querySelectorAll("[data-scroll-newest]").forEach(function (box) { box.scrollLeft = box.scrollWidth; });

  // Issue 16 (point 10): the report's Print button (a phone has no Ctrl+P). Shown only when this
  // script runs, since without it the button could do nothing; print CSS hides it (.no-print).
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // The patient's sections: keep the current one in view in the sideways-scrolling tab bar.
  var current = document.querySelector(".patient-tabs [aria-current='page']");
  if (current && current.scrollIntoView) { current.scrollIntoView({ block: "nearest", inline: "center" }); }
})();
