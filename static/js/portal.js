// Behaviour the pages need, kept out of the HTML: the Content-Security-Policy
// (consortium/settings/base.py) runs no inline script or event handler.
"use strict";

// <button data-print>: print the page (pull slips, a policy as PDF).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
