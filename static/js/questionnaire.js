// The questionnaire page, enhanced: the page works the same without this script.
// - "n of N answered" and the progress bar follow the answers given on this page;
// - the current page's button shows "complete" once every statement on it is answered;
// - after a submission with gaps, focus moves to the error summary (GOV.UK's pattern),
//   and its links to statements on this page move focus to that statement's first option.
(function () {
  "use strict";

  var form = document.getElementById("answers-form");
  var progress = document.getElementById("answers-progress");
  if (!form || !progress) {
    return;
  }
  var items = form.querySelectorAll("fieldset.likert-item");
  var counter = document.getElementById("answered-count");
  var bar = progress.querySelector("progress");
  var currentPageDone = document.querySelector("#current-page-link .page-done");
  var total = Number(progress.dataset.total);

  function answeredHere() {
    var count = 0;
    items.forEach(function (item) {
      if (item.querySelector("input:checked")) {
        count += 1;
      }
    });
    return count;
  }

  // Answers already checked when the page loaded are counted in the saved total.
  var savedElsewhere = Number(progress.dataset.answered) - answeredHere();
  var shown = null;

  function update() {
    var here = answeredHere();
    var answered = savedElsewhere + here;
    if (answered !== shown) {
      shown = answered;
      counter.textContent = answered + " of " + total + " answered";
      bar.value = answered;
      bar.setAttribute("aria-label", answered + " of " + total + " statements answered");
    }
    if (currentPageDone) {
      currentPageDone.hidden = here < items.length;
    }
  }

  form.addEventListener("change", update);

  function focusStatement(fieldset) {
    var option = fieldset.querySelector("input:checked") || fieldset.querySelector("input");
    fieldset.scrollIntoView();
    if (option) {
      option.focus({ preventScroll: true });
    }
  }

  function statementFor(hash) {
    if (!/^#q\d+$/.test(hash)) {
      return null;
    }
    var target = document.getElementById(hash.slice(1));
    return target && form.contains(target) ? target : null;
  }

  var summary = document.getElementById("missing-summary");
  if (summary) {
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a");
      var target = link && link.getAttribute("href").charAt(0) === "#" && statementFor(link.hash);
      if (target) {
        event.preventDefault();
        history.replaceState(null, "", link.hash);
        focusStatement(target);
      }
    });
    // Arriving from a link to one statement on another page: go to that statement.
    var arrivedAt = statementFor(window.location.hash);
    if (arrivedAt) {
      focusStatement(arrivedAt);
    } else {
      summary.focus();
    }
  }
})();
