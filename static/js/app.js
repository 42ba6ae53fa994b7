// Progress feedback: a submitted form's button is disabled and shows a spinner,
// which also stops a double tap from sending the same dose twice.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.submitted === "1") { event.preventDefault(); return; }
  form.dataset.submitted = "1";
  var button = event.submitter || form.querySelector("[type=submit]");
  if (button) { button.classList.add("is-busy"); button.setAttribute("aria-busy", "true"); }
});
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-submitted]").forEach(function (form) {
    delete form.dataset.submitted;
    form.querySelectorAll(".is-busy").forEach(function (b) { b.classList.remove("is-busy"); b.removeAttribute("aria-busy"); });
  });
});
