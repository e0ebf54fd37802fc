/* Patient booking pages: tell the server the browser's time zone, so free times and the
   booking are shown in the patient's own time. Everything works without this script: the
   times are then in the clinic's time zone, which the page names. */
(function () {
  "use strict";
  var root = document.querySelector("[data-clinic-zone]");
  if (!root) {
    return;
  }
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return;
  }
  if (!zone) {
    return;
  }
  // Forms carry the zone, so the booking remembers it for the patient's emails.
  var inputs = document.querySelectorAll("input[data-booking-tz]");
  for (var i = 0; i < inputs.length; i += 1) {
    if (!inputs[i].value) {
      inputs[i].value = zone;
    }
  }
  // Show the times in the browser's zone once, unless a zone was already chosen (the clinic's,
  // by the link that offers it) or the page reports a problem the patient must read first.
  var asked = root.getAttribute("data-zone-asked") || "";
  if (asked || zone === root.getAttribute("data-clinic-zone")) {
    return;
  }
  if (document.getElementById("error-summary") || !window.URL) {
    return;
  }
  var url = new URL(window.location.href);
  if (url.searchParams.has("tz")) {
    return;
  }
  url.searchParams.set("tz", zone);
  window.location.replace(url.toString());
})();
