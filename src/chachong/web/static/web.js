// The pages work without this file; it only says "checking…" while a form waits for its answer.
(function () {
  "use strict";
  document.querySelectorAll("form#check-form, form#pairs-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var busy = form.querySelector(".busy");
      var button = form.querySelector("button[type=submit]");
      if (busy) busy.hidden = false;
      // Disabled after this tick, so the button's own submission still goes through.
      if (button) setTimeout(function () { button.disabled = true; }, 0);
    });
  });
})();
