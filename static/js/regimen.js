// Regimen form: show the weight fields only for a weight-based dose, and the second
// time only for a split dose. Progressive: without this script every field shows.
(function () {
  var basis = document.querySelector("input[name=dose_basis]");
  var form = basis && basis.form;
  if (!form) { return; }
  function wrapper(name) {
    var input = form.querySelector("[name=" + name + "]");
    var box = input && input.closest(".mb-3");
    // A field with an error message always stays visible.
    return box && !box.querySelector(".is-invalid, .invalid-feedback") ? box : null;
  }
  function checked(name) { var input = form.querySelector("[name=" + name + "]:checked"); return input ? input.value : ""; }
  function update() {
    var weightBased = checked("dose_basis") === "weight";
    ["weight_kg", "mg_per_kg", "override_reason"].forEach(function (name) {
      var box = wrapper(name); if (box) { box.hidden = !weightBased; }
    });
    var second = wrapper("time_2"); if (second) { second.hidden = checked("administrations_per_day") !== "2"; }
  }
  form.addEventListener("change", update);
  update();
})();
