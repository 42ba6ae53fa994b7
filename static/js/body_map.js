// Body map (SITE-SELF, SITE-OTHER, SITE-ROTATE): keeps the drawing in step with the radio
// inputs, which stay the real control. Without this script the radios still work and the
// server checks everything again on submit.
(function () {
  "use strict";
  var map = document.getElementById("body-map");
  if (!map) { return; }
  var form = map.closest("form");
  var lastSpot = map.dataset.lastSpot || "";
  var warning = document.getElementById("rotate-warning");

  function spotInputs() { return form.querySelectorAll("input[name=site_spot]"); }
  function someoneElse() {
    var checked = form.querySelector("input[name=injected_by]:checked");
    return checked !== null && checked.value === "other";
  }
  function selectedSpot() {
    var checked = form.querySelector("input[name=site_spot]:checked");
    return checked ? checked.value : "";
  }

  // The spot card above the map names the spot chosen, and whether it is the one suggested.
  var chosenText = document.getElementById("chosen-spot");
  var chosenNote = document.getElementById("chosen-note");
  function suggestedInput() {
    var mode = someoneElse() ? "other" : "self";
    var suggested = map.querySelector(".spot-suggested[data-when='" + mode + "'], .spot-suggested[data-when='both']");
    return suggested ? document.getElementById(suggested.closest("label").htmlFor) : null;
  }
  // Until a spot is picked by hand, the chosen spot follows the suggestion for who injects.
  var followSuggestion = (function () {
    var input = suggestedInput();
    return selectedSpot() === "" || (input !== null && input.checked);
  })();
  function showChosen() {
    if (!chosenText) { return; }
    var checked = form.querySelector("input[name=site_spot]:checked");
    var suggested = suggestedInput();
    chosenText.textContent = checked ? checked.dataset.label : "No spot chosen yet";
    if (chosenNote) {
      var label = suggested ? suggested.dataset.label : "";
      chosenNote.textContent = checked && checked === suggested ? "(suggested)" : "(suggested: " + label + ")";
    }
  }

  function showSelection() {
    var value = selectedSpot();
    showChosen();
    map.querySelectorAll(".map-spot").forEach(function (g) {
      g.classList.toggle("is-selected", g.dataset.spot === value);
    });
    // SITE-ROTATE: say it at once; the server asks for a confirmation on submit too.
    if (warning) {
      var same = value !== "" && value === lastSpot;
      warning.hidden = !same;
      warning.textContent = same ? warning.dataset.message : "";
    }
  }

  function applyWhoInjects() {
    var other = someoneElse();
    // SITE-SELF / SITE-OTHER: back of the arms and buttocks only when someone else injects.
    form.querySelectorAll("fieldset.spot-zone[data-self-allowed='0']").forEach(function (fieldset) {
      fieldset.disabled = !other;
      if (!other) {
        fieldset.querySelectorAll("input:checked").forEach(function (input) { input.checked = false; });
      }
    });
    map.querySelectorAll(".body-figure-back").forEach(function (fig) { fig.classList.toggle("is-disabled", !other); });
    var mode = other ? "other" : "self";
    function shown(el) { return el.dataset.when === mode || el.dataset.when === "both"; }
    map.querySelectorAll(".spot-suggested").forEach(function (el) { el.hidden = !shown(el); });
    map.querySelectorAll(".map-star").forEach(function (el) { el.classList.toggle("is-hidden", !shown(el)); });
    var suggested = suggestedInput();
    if ((followSuggestion || selectedSpot() === "") && suggested && !suggested.matches(":disabled")) { suggested.checked = true; }
    showSelection();
  }

  map.addEventListener("click", function (event) {
    var g = event.target.closest(".map-spot");
    if (!g) { return; }
    var input = document.getElementById("spot-" + g.dataset.spot);
    // :disabled, not .disabled: a spot is also disabled through its fieldset (SITE-SELF).
    if (input && !input.matches(":disabled")) {
      input.checked = true;
      followSuggestion = false;
      input.focus();
      showSelection();
    }
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "injected_by") { applyWhoInjects(); }
    if (event.target.name === "site_spot") { followSuggestion = false; showSelection(); }
  });
  applyWhoInjects();
})();
