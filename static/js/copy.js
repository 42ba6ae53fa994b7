// A Copy button for text shown on the page (the calendar-feed address): the button names the
// element to copy (data-copy-target) and a status that says "Copied" (data-copy-status, aria-live).
// Without JavaScript, or without the Clipboard API, the button stays hidden and the text stays
// selectable, so it can still be copied by hand.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) { return; }
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copyTarget);
    var status = document.getElementById(button.dataset.copyStatus);
    if (!source || !status) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = "";
      navigator.clipboard.writeText(source.textContent.trim()).then(
        function () { status.textContent = "Copied"; },
        function () { status.textContent = "Could not copy: select the address and copy it."; }
      );
    });
  });
})();
