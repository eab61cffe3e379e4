/* The portal's own small behaviours, as data attributes instead of inline handlers: the
   Content-Security-Policy (config/settings.py) runs no inline script. Delegated from the
   document, so they also work in fragments htmx swaps in.

   <input type="checkbox" data-check-all="ids">  ticks or clears every checkbox named "ids"
                                                 in the same form.
   <form data-confirm="Question?">               asks the question before submitting; "Cancel"
                                                 keeps the form from being sent. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-check-all")) {
      return;
    }
    var scope = box.form || box.closest("form") || document;
    var name = box.getAttribute("data-check-all");
    scope.querySelectorAll('input[type="checkbox"]').forEach(function (other) {
      if (other.name === name && !other.disabled) {
        other.checked = box.checked;
      }
    });
  });

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) {
        return;
      }
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );
})();
