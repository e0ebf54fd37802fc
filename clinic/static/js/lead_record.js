/*
 * The lead record, enhanced: without this file every field shows and the server checks what
 * each choice needs.
 *
 * - A form's parts marked data-show-when-status="consult_booked" (the consultation) or "lost"
 *   (the reason) show only while that stage is chosen in the form's status list, or while they
 *   hold an error.
 * - The contact form offers only the outcomes of the chosen channel (a call is answered or
 *   not; a message is sent, replied to or bounced); a choice hidden that way is cleared.
 * - A link to a folded section ("Earlier inquiries") unfolds it.
 * - Printing unfolds the inquiries (messages, where they came from), as they were printed
 *   before they were folded, and folds them back afterwards.
 *
 * Loaded with `defer` from our own origin, so the strict Content-Security-Policy allows it.
 */
(function () {
  "use strict";

  function showWhenStatus(form) {
    var parts = form.querySelectorAll("[data-show-when-status]");
    var status = form.querySelector("select[name$='status']");
    if (!parts.length || !status) {
      return;
    }
    function fit() {
      parts.forEach(function (part) {
        var wanted = part.getAttribute("data-show-when-status") === status.value;
        part.hidden = !wanted && !part.querySelector(".field--invalid");
      });
    }
    status.addEventListener("change", fit);
    fit();
  }

  function outcomesForChannel(form) {
    var channels = form.querySelectorAll("input[type='radio'][name$='-channel']");
    var groups = form.querySelectorAll("[data-channels]");
    if (!channels.length || !groups.length) {
      return;
    }
    function fit() {
      var chosen = form.querySelector("input[type='radio'][name$='-channel']:checked");
      groups.forEach(function (group) {
        var offered = !chosen || group.getAttribute("data-channels").split(" ").indexOf(chosen.value) !== -1;
        group.hidden = !offered;
        if (!offered) {
          group.querySelectorAll("input:checked").forEach(function (input) { input.checked = false; });
        }
      });
    }
    channels.forEach(function (input) { input.addEventListener("change", fit); });
    fit();
  }

  function unfoldInquiriesToPrint() {
    var inquiries = document.querySelector("details.lead-inquiries");
    var wasOpen = false;
    if (!inquiries) {
      return;
    }
    window.addEventListener("beforeprint", function () {
      wasOpen = inquiries.open;
      inquiries.open = true;
    });
    window.addEventListener("afterprint", function () {
      inquiries.open = wasOpen;
    });
  }

  function unfoldLinkedSections() {
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href^='#']");
      var target = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
      if (target && target.tagName === "DETAILS") {
        target.open = true;
      }
    });
  }

  function start() {
    unfoldLinkedSections();
    unfoldInquiriesToPrint();
    document.querySelectorAll(".lead-record form").forEach(function (form) {
      showWhenStatus(form);
      if (form.hasAttribute("data-contact-step")) {
        outcomesForChannel(form);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
