/*
 * The clinic's inquiry form on another site (the clinic's own WordPress or any page). The clinic
 * pastes two lines where the form should go:
 *
 *   <div data-clinic-inquiry><a href="https://clinic.example/inquire">Request a consultation</a></div>
 *   <script src="https://clinic.example/static/js/embed.js" async></script>
 *
 * This script puts a frame of /embed/inquire in place of the link (which stays for people
 * without JavaScript), passing the page's address, its referrer and its UTM tags so the inquiry
 * records where it was sent from. data-condition="lupus" on the div preselects a condition.
 * The frame tells this page its height (embed_frame.js, postMessage); only messages from the
 * clinic's own origin and that frame are believed.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) {
    return;
  }
  var clinicOrigin = new URL(script.src).origin;
  var UTM_KEYS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  var MESSAGE_TYPE = "clinic-embed:height";

  function frameAddress(holder) {
    var page = new URL(window.location.href);
    var params = new URLSearchParams();
    page.hash = "";
    params.set("page", page.href);
    if (document.referrer) {
      params.set("ref", document.referrer);
    }
    UTM_KEYS.forEach(function (key) {
      var value = page.searchParams.get(key);
      if (value) {
        params.set(key, value);
      }
    });
    if (holder.dataset.condition) {
      params.set("condition", holder.dataset.condition);
    }
    return clinicOrigin + "/embed/inquire?" + params.toString();
  }

  function embed(holder) {
    if (holder.querySelector("iframe")) {
      return;
    }
    var frame = document.createElement("iframe");
    frame.src = frameAddress(holder);
    frame.title = "Request a consultation";
    frame.loading = "lazy";
    frame.setAttribute("scrolling", "no");
    frame.style.width = "100%";
    frame.style.minHeight = "40rem";
    frame.style.border = "0";
    frame.style.display = "block";
    holder.replaceChildren(frame);

    window.addEventListener("message", function (event) {
      var data = event.data;
      if (event.origin !== clinicOrigin || event.source !== frame.contentWindow) {
        return;
      }
      if (!data || data.type !== MESSAGE_TYPE || typeof data.height !== "number") {
        return;
      }
      frame.style.minHeight = "0";
      frame.style.height = Math.ceil(Math.max(200, Math.min(data.height, 20000))) + "px";
      if (data.scrollIntoView) {
        frame.scrollIntoView({ block: "start" });
      }
    });
  }

  function embedAll() {
    document.querySelectorAll("[data-clinic-inquiry]").forEach(embed);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", embedAll);
  } else {
    embedAll();
  }
})();
