/*
 * Inside the framed inquiry form (/embed/inquire): tell the page around the frame how tall this
 * page is, whenever that changes, so it shows the whole form without a scrollbar of its own.
 * The server names that page's origin (data-parent-origin) only when it is one allowed to frame
 * the form, and messages go to that origin alone. After a send (the thanks, or the errors),
 * the page around is asked to scroll the frame's top into view.
 *
 * Links open in a new tab: the frame is only the form, and the clinic's pages belong in a window.
 */
(function () {
  "use strict";

  var parentOrigin = document.body.dataset.parentOrigin;
  var MESSAGE_TYPE = "clinic-embed:height";
  var afterSend = document.querySelector(".confirmation, #error-summary") !== null;

  document.querySelectorAll("a[href]").forEach(function (link) {
    var href = link.getAttribute("href");
    if (href.charAt(0) !== "#" && href.indexOf("tel:") !== 0 && href.indexOf("mailto:") !== 0) {
      link.target = "_blank";
      link.rel = "noopener";
    }
  });

  if (!parentOrigin || window.parent === window) {
    return;
  }

  var lastHeight = 0;

  function tell(scrollIntoView) {
    // The body's bottom, not the document's height: that is never less than the frame's own.
    var height = Math.ceil(document.body.getBoundingClientRect().bottom + window.scrollY);
    if (height === lastHeight && !scrollIntoView) {
      return;
    }
    lastHeight = height;
    window.parent.postMessage(
      { type: MESSAGE_TYPE, height: height, scrollIntoView: Boolean(scrollIntoView) },
      parentOrigin
    );
  }

  if (window.ResizeObserver) {
    new ResizeObserver(function () {
      tell(false);
    }).observe(document.body);
  }
  window.addEventListener("load", function () {
    tell(afterSend);
  });
  tell(false);
})();
