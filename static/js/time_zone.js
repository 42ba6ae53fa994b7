// The time-zone picker (companion/time_zones.py, issue 16 point 8): the browser's own zone goes
// first, in a group of its own, and a new profile starts with it chosen. The server's default
// stays in place without JavaScript or when the browser's zone is not one the list offers.
(function () {
  "use strict";
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) { return; }
  document.querySelectorAll("select[data-browser-zone]").forEach(function (select) {
    var option = Array.prototype.find.call(select.options, function (o) { return o.value === zone; });
    if (!option) { return; }
    var group = document.createElement("optgroup");
    group.label = "This device's time zone";
    select.insertBefore(group, select.firstElementChild);
    group.appendChild(option); // moved, not copied: each zone is listed once
    // "select": a new, unsent profile form (companion/forms.py); an existing profile keeps its zone.
    if (select.dataset.browserZone === "select") { select.value = zone; }
  });
})();
