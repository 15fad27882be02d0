// Stands in for @popperjs/core in the portal's Bootstrap build. Bootstrap's dropdown always
// creates a Popper instance, but in a navbar, or with data-bs-display="static", it turns
// Popper's styles off and the stylesheet places the menu (.dropdown-menu[data-bs-popper]);
// every dropdown of the portal is one of those (tests/consortium/test_frontend.py checks),
// so the 20 KB of positioning code would never move a menu.
export function createPopper() {
  return { destroy() {}, update() {}, setOptions() {} };
}
