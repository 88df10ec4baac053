"use strict";
// Names for what the admin's autocomplete (select2) builds in the browser. It hides the
// labelled <select> and shows a box and a search field of its own; the search field has
// no name, nor has the box while nothing is chosen (a chosen value names it, through its
// title), and screen readers announce "edit text, blank". They take the select's name: its
// aria-label (tabular inlines) or its <label>.
(function () {
  const OURS = "data-lvm-named";

  function nameOf(select) {
    if (!select) return "";
    const named = select.getAttribute("aria-label");
    if (named) return named;
    const label = select.id && document.querySelector(`label[for="${CSS.escape(select.id)}"]`);
    return label ? label.textContent.replace(/:\s*$/, "").trim() : "";
  }

  function name(element, text) {
    if (text && !element.hasAttribute("aria-label")) {
      element.setAttribute("aria-label", text);
      element.setAttribute(OURS, "");
    }
  }

  function nameAll() {
    document.querySelectorAll(".select2-container").forEach((container) => {
      const select = container.previousElementSibling;
      if (!select || select.tagName !== "SELECT") return;
      // The box beside the select: named by the select while empty, by its value after.
      container.querySelectorAll('.select2-selection__rendered[role="textbox"]').forEach((box) => {
        if (box.hasAttribute("title")) {
          if (box.hasAttribute(OURS)) {
            box.removeAttribute("aria-label");
            box.removeAttribute(OURS);
          }
        } else {
          name(box, nameOf(select));
        }
      });
      // A multiple select's search field, inside the box.
      container.querySelectorAll(".select2-search__field").forEach((field) => {
        name(field, nameOf(select));
      });
    });
    // The search field of an open dropdown, added at the end of the page: it controls
    // the results list named after its select's id.
    document.querySelectorAll(".select2-dropdown .select2-search__field").forEach((field) => {
      const results = /^select2-(.+)-results$/.exec(field.getAttribute("aria-controls") || "");
      name(field, nameOf(results && document.getElementById(results[1])));
    });
  }

  // A tabular inline's first and last columns (the saved entry, and "Delete?" where rows
  // can't be deleted) have empty headings, which screen readers announce as headers
  // with no name: an empty heading becomes a plain cell.
  function unheadEmptyColumns() {
    document.querySelectorAll(".tabular thead th").forEach((th) => {
      if (th.textContent.trim() || th.querySelector("img, input")) return;
      const cell = document.createElement("td");
      cell.className = th.className;
      th.replaceWith(cell);
    });
  }

  // select2 starts after the page has loaded, adds rows' widgets when an inline row is
  // added, opens its dropdown on demand and rebuilds parts after each choice: name
  // whatever appears.
  let pending = false;
  new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      nameAll();
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", () => {
    unheadEmptyColumns();
    nameAll();
  });
})();
