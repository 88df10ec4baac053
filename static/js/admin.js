"use strict";
// Names for what the admin's autocomplete (select2) builds in the browser. It hides the
// labelled <select> and shows a text box and a search field of its own, both without a
// name, which screen readers announce as "edit text, blank". They take the select's name:
// its aria-label (tabular inlines) or its <label>.
(function () {
  function nameOf(select) {
    const named = select.getAttribute("aria-label");
    if (named) return named;
    const label = select.id && document.querySelector(`label[for="${select.id}"]`);
    return label ? label.textContent.replace(/:\s*$/, "").trim() : "";
  }

  function nameAll() {
    document.querySelectorAll(".select2-container").forEach((container) => {
      const select = container.previousElementSibling;
      if (!select || select.tagName !== "SELECT") return;
      const name = nameOf(select);
      if (!name) return;
      container
        .querySelectorAll('.select2-search__field, .select2-selection__rendered[role="textbox"]')
        .forEach((box) => {
          if (!box.hasAttribute("aria-label")) box.setAttribute("aria-label", name);
        });
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
  // added, and rebuilds its search field after each choice: name whatever appears.
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
