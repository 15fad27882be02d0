// Behaviour the pages need, kept out of the HTML: the Content-Security-Policy
// (consortium/settings/base.py) runs no inline script or event handler.
"use strict";

// <button data-print>: print the page (pull slips, a policy as PDF).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// <input data-submit-on-change> (the search page's facets and sort): a change submits the
// control's form at once. requestSubmit() fires the form's submit event, which htmx turns into
// a request when it is there; else the browser submits the form. Listening on the document,
// not on the controls, keeps it working for the controls each htmx swap brings.
document.addEventListener("change", (event) => {
  const control = event.target.closest("[data-submit-on-change]");
  if (control && control.form) {
    control.form.requestSubmit();
  }
});

// The search page's Filters panel (folded behind a button below Bootstrap's lg width) stays
// open while htmx replaces the results it is part of: the new panel comes folded, as the
// server renders it, and htmx settles its class to that after the swap. Open is what its
// button says, which Bootstrap sets as the panel starts to open (a quick tap on a facet can
// come before the opening animation has ended).
const FILTERS_TOGGLE = '[data-bs-target="#search-filters"]';
let filtersWereOpen = false;
document.addEventListener("htmx:beforeSwap", (event) => {
  // A search the server refuses (400: only excluded words, a malformed ISBN) answers with the
  // reason, which shows in place of the results as it would on a page load (htmx swaps no 4xx
  // answer by default, so the page stayed as it was, without a word).
  if (event.detail.xhr.status === 400 && event.detail.target.id === "results") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
  const toggle = document.querySelector(FILTERS_TOGGLE);
  filtersWereOpen = event.detail.shouldSwap && toggle !== null && toggle.getAttribute("aria-expanded") === "true";
});
document.addEventListener("htmx:afterSettle", () => {
  const panel = document.getElementById("search-filters");
  if (!filtersWereOpen || !panel) {
    return;
  }
  filtersWereOpen = false;
  panel.classList.add("show");
  for (const toggle of document.querySelectorAll(FILTERS_TOGGLE)) {
    toggle.classList.remove("collapsed");
    toggle.setAttribute("aria-expanded", "true");
  }
});

// <button data-show-results="id">: bring that element (the search results) into view.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-show-results]");
  const target = button && document.getElementById(button.dataset.showResults);
  if (target) {
    target.scrollIntoView({ block: "start" });
  }
});

// htmx keeps the page's HTML for the back button and puts it back as HTML. Scripts leave empty
// style attributes behind (Bootstrap's collapse on the Filters panel, once its animation ends);
// put back as markup, each would be an inline style, which the CSP refuses. Empty, they do
// nothing, so they go before the page is kept.
document.addEventListener("htmx:beforeHistorySave", (event) => {
  for (const element of event.detail.historyElt.querySelectorAll("[style='']")) {
    element.removeAttribute("style");
  }
});

// <input data-current-url> (the language switch's "next"): the page's URL as it is when the
// form is sent, not as it was when the page loaded; htmx changes it without a reload (a refined
// search), and the visitor should come back to what they see.
document.addEventListener("submit", (event) => {
  const field = event.target.querySelector("input[data-current-url]");
  if (field) {
    field.value = location.pathname + location.search;
  }
});
