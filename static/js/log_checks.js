// The log form's record of what really happened: progressive enhancement only (no inline
// scripts, the CSP forbids them). Without this script the server shows the same advice
// after a submit and asks the same questions.
// - Pre-injection checks (PREP-WARM, PREP-24H, PREP-LOOK, PREP-ONCE, SITE-VEIN): a "No"
//   shows its advice the moment it is tapped; a "No" that means "do not use this syringe"
//   also shows the write-off question. Nothing is written off until its button is pressed.
// - AE-OVERDOSE: a dose typed above the prescribed one shows the "I really injected" box.
(function () {
  "use strict";
  var form = document.getElementById("log-form");
  if (!form) { return; }
  var writeOff = document.getElementById("write-off");
  var writeOffReason = document.getElementById("write-off-reason");

  function adviceFor(name) {
    return form.querySelector(".prep-advice[data-field='" + name + "']");
  }

  function answeredNo(name) {
    var checked = form.querySelector("input[name='" + name + "']:checked");
    return checked !== null && checked.value === "no";
  }

  function showWriteOff() {
    if (!writeOff) { return; }
    var failing = Array.prototype.filter.call(form.querySelectorAll("fieldset.prep-check[data-discard='1']"), function (check) {
      return answeredNo(check.dataset.field);
    });
    writeOff.hidden = failing.length === 0;
    if (failing.length > 0 && writeOffReason) { writeOffReason.value = failing[0].dataset.check; }
  }

  function showAdvice(name) {
    var advice = adviceFor(name);
    if (!advice) { return; }
    advice.hidden = !answeredNo(name);
  }

  form.addEventListener("change", function (event) {
    var name = event.target.name || "";
    if (name.indexOf("prep_") === 0) {
      showAdvice(name);
      showWriteOff();
    }
  });
  form.querySelectorAll(".prep-advice").forEach(function (advice) { showAdvice(advice.dataset.field); });
  showWriteOff();

  // Sent incomplete: the error summary names the checks not answered, and focus goes to the
  // first of them. The server says the same after a submit (and keeps every answer given).
  var summary = document.getElementById("error-summary");
  var unansweredSummary = document.getElementById("unanswered-summary");
  var unansweredList = document.getElementById("unanswered-list");

  function unansweredChecks() {
    return Array.prototype.filter.call(form.querySelectorAll("fieldset.prep-check"), function (check) {
      return form.querySelector("input[name='" + check.dataset.field + "']:checked") === null;
    });
  }

  function firstInput(check) { return check.querySelector("input[type=radio]"); }

  function showUnanswered(checks) {
    if (!summary || !unansweredList) { return; }
    unansweredList.textContent = "";
    checks.forEach(function (check, index) {
      var link = document.createElement("a");
      link.href = "#" + firstInput(check).id;
      link.textContent = check.dataset.short;
      if (index > 0) { unansweredList.appendChild(document.createTextNode(", ")); }
      unansweredList.appendChild(link);
    });
    unansweredSummary.hidden = checks.length === 0;
    unansweredSummary.firstChild.textContent = checks.length === 1 ? "Answer this check: " : "Answer these checks: ";
    summary.hidden = false;
    checks.forEach(function (check) {
      check.querySelectorAll("input[type=radio]").forEach(function (input) { input.setAttribute("aria-invalid", "true"); });
    });
  }

  form.addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.getAttribute("form") === "write-off-form") { return; }
    var missing = unansweredChecks();
    if (missing.length === 0) { return; }
    event.preventDefault();
    showUnanswered(missing);
    firstInput(missing[0]).focus();
  });

  // The page shown again by the server with errors: focus the first check left unanswered,
  // else the first field marked invalid.
  if (summary && !summary.hidden) {
    var missing = unansweredChecks();
    var first = missing.length ? firstInput(missing[0]) : form.querySelector("[aria-invalid=true]");
    if (first) {
      var picker = first.closest("details");
      if (picker) { picker.open = true; }
      first.focus();
    } else {
      summary.focus();
    }
  }
  // A link in the summary to a spot inside the closed map opens it first.
  if (summary) {
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var target = link ? document.getElementById(link.getAttribute("href").slice(1)) : null;
      var picker = target ? target.closest("details") : null;
      if (picker) { picker.open = true; }
    });
  }

  // AE-OVERDOSE: the confirmation appears as soon as the dose typed is above the prescription.
  var confirmBox = document.getElementById("confirm-above");
  var doseInput = form.querySelector("input[name='dose_mg']");
  var doseText = document.getElementById("confirm-above-dose");
  if (confirmBox && doseInput && confirmBox.dataset.prescribed) {
    var prescribed = parseFloat(confirmBox.dataset.prescribed);
    var serverShown = !confirmBox.hidden;
    var update = function () {
      var dose = parseFloat(doseInput.value.replace(",", "."));
      var above = !isNaN(dose) && dose > prescribed;
      confirmBox.hidden = !(above || serverShown);
      if (doseText) { doseText.textContent = doseInput.value; }
    };
    doseInput.addEventListener("input", update);
    update();
  }
})();
