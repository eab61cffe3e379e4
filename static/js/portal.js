/* The portal's own small behaviours, as data attributes instead of inline handlers: the
   Content-Security-Policy (config/settings.py) runs no inline script. Delegated from the
   document, so they also work in fragments htmx swaps in.

   <input type="checkbox" data-check-all="ids">  ticks or clears every checkbox named "ids"
                                                 in the same form.
   <form data-confirm="Question?">               asks the question before submitting; "Cancel"
                                                 keeps the form from being sent.
   <details data-columns-for="table-id"          the column chooser: each checkbox
            data-columns-key="letter-01">        data-column-toggle="name" shows or hides the
                                                 table's cells data-column="name"; the choice
                                                 is kept in this browser per key, and applied
                                                 again to rows htmx swaps in.
   <a data-export href="?…&xuat=xlsx">           the list's export: follows the filter the
                                                 page shows now (htmx pushes it to the
                                                 address bar), without the page number. */
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

  var COLUMNS = "portal.columns.";

  function hiddenColumns(chooser) {
    try {
      var kept = JSON.parse(window.localStorage.getItem(COLUMNS + chooser.dataset.columnsKey));
      return Array.isArray(kept) ? kept : [];
    } catch (error) {
      return [];
    }
  }

  function applyColumns(chooser) {
    var table = document.getElementById(chooser.dataset.columnsFor);
    if (!table) {
      return;
    }
    var hidden = hiddenColumns(chooser);
    chooser.hidden = false;
    table.querySelectorAll("[data-column]").forEach(function (cell) {
      cell.hidden = hidden.indexOf(cell.getAttribute("data-column")) !== -1;
    });
    chooser.querySelectorAll("[data-column-toggle]").forEach(function (box) {
      box.checked = hidden.indexOf(box.getAttribute("data-column-toggle")) === -1;
    });
  }

  function keepColumns(chooser, hidden) {
    try {
      window.localStorage.setItem(COLUMNS + chooser.dataset.columnsKey, JSON.stringify(hidden));
    } catch (error) {
      /* private browsing: the choice holds until the page is left */
    }
    applyColumns(chooser);
  }

  function applyAllColumns() {
    document.querySelectorAll("[data-columns-for]").forEach(applyColumns);
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    var chooser = box instanceof HTMLInputElement && box.closest("[data-columns-for]");
    if (!chooser || !box.hasAttribute("data-column-toggle")) {
      return;
    }
    var hidden = [];
    chooser.querySelectorAll("[data-column-toggle]").forEach(function (each) {
      if (!each.checked) {
        hidden.push(each.getAttribute("data-column-toggle"));
      }
    });
    keepColumns(chooser, hidden);
  });

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest("[data-columns-reset]");
    if (button) {
      keepColumns(button.closest("[data-columns-for]"), []);
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element && event.target.closest("a[data-export]");
    if (!link) {
      return;
    }
    var query = new URLSearchParams(window.location.search);
    query.delete("page");
    query.set("xuat", "xlsx");
    link.href = window.location.pathname + "?" + query.toString();
  });

  document.addEventListener("DOMContentLoaded", applyAllColumns);
  document.addEventListener("htmx:afterSettle", applyAllColumns);
})();
