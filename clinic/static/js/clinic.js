/*
 * Progressive enhancement only: every page works without this file.
 *
 * - Error summary: focus moves to it after a failed submission, so screen readers announce it
 *   first; its links move focus into the field they name (a plain #anchor only scrolls).
 * - Inbox: a "select all on this page" checkbox at the top of the selection column; on a phone
 *   the filters fold away until asked for, unless some are set.
 * - Forms with data-confirm="question" ask before they are sent.
 * - Lead record: a "Print this record" button (the print stylesheet does the rest).
 *
 * Loaded with `defer` from our own origin, so the strict Content-Security-Policy allows it.
 */
(function () {
  "use strict";

  function focusField(id) {
    var target = document.getElementById(id);
    if (!target) {
      return false;
    }
    // A fieldset (radio group) takes focus on its checked or first option.
    if (target.tagName === "FIELDSET") {
      target = target.querySelector("input:checked") || target.querySelector("input, select, textarea");
    }
    if (!target) {
      return false;
    }
    var field = target.closest(".field") || target;
    field.scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
    return true;
  }

  function enhanceErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (!summary) {
      return;
    }
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (link && focusField(decodeURIComponent(link.hash.slice(1)))) {
        event.preventDefault();
      }
    });
    if (!location.hash) {
      summary.focus();
    }
  }

  function enhanceSelectAll() {
    document.querySelectorAll("form.bulk table").forEach(function (table, index) {
      var boxes = table.querySelectorAll("tbody input[type='checkbox']");
      var headerCell = table.querySelector("thead th");
      if (!boxes.length || !headerCell) {
        return;
      }
      var all = document.createElement("input");
      all.type = "checkbox";
      all.id = "select-all-" + index;
      all.className = "select-all";
      all.setAttribute("aria-label", "Select all leads on this page");
      headerCell.insertBefore(all, headerCell.firstChild);
      // Where the inbox is cards (phones) the box has no column above it: say what it does.
      var words = document.createElement("label");
      words.className = "select-all-label";
      words.htmlFor = all.id;
      words.textContent = "Select all leads on this page";
      headerCell.insertBefore(words, all.nextSibling);

      function refresh() {
        var ticked = Array.prototype.filter.call(boxes, function (box) { return box.checked; });
        all.checked = ticked.length === boxes.length;
        all.indeterminate = ticked.length > 0 && ticked.length < boxes.length;
      }
      all.addEventListener("change", function () {
        boxes.forEach(function (box) { box.checked = all.checked; });
        refresh();
      });
      boxes.forEach(function (box) { box.addEventListener("change", refresh); });
      refresh();
    });
  }

  function enhanceConfirmations() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var question = form.getAttribute && form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        event.preventDefault();
      }
    });
  }

  function addPrintButton() {
    var heading = document.querySelector(".lead-record .page-heading");
    if (!heading || typeof window.print !== "function") {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--secondary button--small print-button";
    button.textContent = "Print this record";
    button.addEventListener("click", function () { window.print(); });
    heading.appendChild(button);
  }

  function foldFiltersOnPhones() {
    var panel = document.querySelector("details.filter-panel");
    var phone = window.matchMedia && window.matchMedia("(max-width: 47.99rem)");
    if (!panel || !phone) {
      return;
    }
    // Folded on a phone while no filter is set, so the leads come first; always open wider,
    // where the toggle is hidden and could not open it again.
    function fit() {
      panel.open = !phone.matches || panel.hasAttribute("data-filters-set");
    }
    fit();
    if (phone.addEventListener) {
      phone.addEventListener("change", fit);
    } else if (phone.addListener) {
      phone.addListener(fit); // Safari before 14: an exception here would stop every enhancement
    }
  }

  function showCurrentTab() {
    // On a phone the status tabs scroll sideways: start with the chosen one in sight.
    var current = document.querySelector('.tabs [aria-current="page"]');
    if (!current) {
      return;
    }
    var strip = current.closest("ul");
    if (strip && strip.scrollWidth > strip.clientWidth) {
      var tab = current.getBoundingClientRect();
      var box = strip.getBoundingClientRect();
      if (tab.left < box.left || tab.right > box.right) {
        strip.scrollLeft += tab.left - box.left - (box.width - tab.width) / 2;
      }
    }
  }

  function start() {
    foldFiltersOnPhones();
    showCurrentTab();
    enhanceErrorSummary();
    enhanceSelectAll();
    enhanceConfirmations();
    addPrintButton();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

/* === admin-bulk: the inbox's bulk bar, sticky and counting once a lead is ticked === */
(function () {
  "use strict";

  // Without this the bar simply sits above the list. With it, ticking a lead pins the bar to
  // the top of the window with "N selected" (on a phone it is folded until then), and the
  // lost reason shows only when it applies.
  function enhanceBulkBar() {
    var bar = document.querySelector("fieldset.bulk-actions");
    if (!bar) {
      return;
    }
    var count = bar.querySelector("[data-bulk-count]");
    var status = document.getElementById("bulk-status");
    var reason = document.getElementById("bulk-lost_reason");
    var reasonField = reason && reason.closest(".field");

    function ticked() {
      return document.querySelectorAll("input[name='bulk-lead_ids']:checked").length;
    }
    function refresh(keepPlace) {
      var number = ticked();
      var before = bar.offsetHeight;
      bar.classList.toggle("bulk-actions--sticky", number > 0);
      bar.classList.toggle("bulk-actions--idle", number === 0);
      if (count) {
        count.textContent = number ? "(" + number + " selected)" : "";
      }
      // The bar sits above the rows: when it grows or shrinks, scroll by as much, so the box
      // just ticked stays under the finger instead of moving away from the next tap.
      var grown = bar.offsetHeight - before;
      if (grown && keepPlace) {
        window.scrollBy(0, grown);
      }
    }
    function showReason() {
      if (reasonField && status) {
        reasonField.hidden = status.value !== "lost" && !reasonField.classList.contains("field--invalid");
      }
    }
    // Delegated: "select all" sets the boxes without a change event of their own, then sends
    // one itself, which arrives here after the boxes are set.
    document.addEventListener("change", function (event) {
      var box = event.target;
      if (box && (box.name === "bulk-lead_ids" || (box.classList && box.classList.contains("select-all")))) {
        refresh(true);
      }
    });
    if (status) {
      status.addEventListener("change", showReason);
    }
    refresh(false);
    showReason();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhanceBulkBar);
  } else {
    enhanceBulkBar();
  }
})();
/* === end admin-bulk === */
