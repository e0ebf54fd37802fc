/*
 * The page editor's live preview: a moment after the editor stops typing, the form is sent to
 * the preview address and the answer (the page rendered exactly as patients will see it, with
 * flagged sentences marked) replaces the preview. Without this file the "Preview" button does
 * the same with a full page load.
 *
 * The answer is HTML the server rendered and sanitised; the CSRF token goes in a header.
 */
(function () {
  "use strict";

  var DELAY_MS = 600;

  function start() {
    var form = document.getElementById("page-form");
    var preview = document.getElementById("content-preview");
    var status = document.getElementById("content-preview-status");
    if (!form || !preview || !window.fetch) {
      return;
    }
    var url = form.getAttribute("data-preview-url");
    var token = form.querySelector("input[name='csrf_token']");
    var timer = null;
    var sent = 0;

    function refresh() {
      var number = ++sent;
      fetch(url, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "" },
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("preview answered " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          if (number !== sent) {
            return; // a newer preview is on its way
          }
          preview.innerHTML = html;
          if (status) {
            status.textContent = "Preview updated.";
          }
        })
        .catch(function () {
          if (status) {
            status.textContent = "The preview could not be updated; use the Preview button.";
          }
        });
    }

    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DELAY_MS);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
