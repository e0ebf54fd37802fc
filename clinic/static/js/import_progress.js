// The import's progress page: asks the server to import the next piece until the import is
// done, moving the progress bar, then reloads the page to show the result. Without this
// script the page's "Continue importing" button does the same, one press per step.
(function () {
  "use strict";
  var form = document.querySelector("form[data-import-step]");
  if (!form) {
    return;
  }
  var bar = document.getElementById("import-progress-bar");
  var done = document.querySelector("[data-import-done]");
  var error = form.querySelector("[data-import-error]");
  var button = form.querySelector("button[type=submit]");
  var failures = 0;

  function show(state) {
    bar.max = Math.max(state.total_rows, 1);
    bar.value = state.rows_done;
    done.textContent = state.rows_done.toLocaleString();
  }

  function step() {
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (state) {
        failures = 0;
        show(state);
        if (state.finished) {
          window.location.reload();
        } else {
          step();
        }
      })
      .catch(function () {
        failures += 1;
        if (failures < 3) {
          window.setTimeout(step, 2000 * failures);
          return;
        }
        error.textContent =
          "The import paused: the server did not answer. Nothing is lost; press the button to carry on.";
        error.hidden = false;
        button.disabled = false;
      });
  }

  button.disabled = true;
  step();
})();
