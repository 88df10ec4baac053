"use strict";
// Names for what the admin's autocomplete (select2) builds in the browser. It hides the
// labelled <select> and shows a box and a search field of its own: the search field has
// no name, and the box is named by the chosen value alone ("Alpha", not "Team: Alpha"),
// or by nothing while none is chosen, so screen readers announce "edit text, blank".
// Both take the select's name: its aria-label (tabular inlines) or its <label>.
(function () {
  function nameOf(select) {
    if (!select) return "";
    const named = select.getAttribute("aria-label");
    if (named) return named;
    const label = select.id && document.querySelector(`label[for="${CSS.escape(select.id)}"]`);
    return label ? label.textContent.replace(/:\s*$/, "").trim() : "";
  }

  function name(element, text) {
    if (text && element.getAttribute("aria-label") !== text) {
      element.setAttribute("aria-label", text);
    }
  }

  function nameAll() {
    document.querySelectorAll(".select2-container").forEach((container) => {
      const select = container.previousElementSibling;
      if (!select || select.tagName !== "SELECT") return;
      const field = nameOf(select);
      if (!field) return;
      // The box beside the select (select2 gives a chosen value as its title).
      container.querySelectorAll('.select2-selection__rendered[role="textbox"]').forEach((box) => {
        const value = box.getAttribute("title");
        name(box, value ? `${field}: ${value}` : field);
      });
      // A multiple select's search field, inside the box.
      container.querySelectorAll(".select2-search__field").forEach((search) => name(search, field));
      // An open combobox names the list it controls (ARIA requires it; select2 omits it).
      container.querySelectorAll('[role="combobox"]').forEach((combobox) => {
        const results = `select2-${select.id}-results`;
        if (combobox.getAttribute("aria-expanded") === "true" && document.getElementById(results)) {
          combobox.setAttribute("aria-controls", results);
        } else {
          combobox.removeAttribute("aria-controls");
        }
      });
    });
    // The search field of an open dropdown, added at the end of the page: it controls
    // the results list named after its select's id.
    document.querySelectorAll(".select2-dropdown .select2-search__field").forEach((search) => {
      const results = /^select2-(.+)-results$/.exec(search.getAttribute("aria-controls") || "");
      name(search, nameOf(results && document.getElementById(results[1])));
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
  // added, opens and closes its dropdown on demand and rebuilds parts after each choice:
  // name whatever appears, at once (the attributes set here are not among those the
  // observer watches).
  new MutationObserver(nameAll).observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["aria-expanded"],
  });
  document.addEventListener("DOMContentLoaded", () => {
    unheadEmptyColumns();
    nameAll();
  });
})();
