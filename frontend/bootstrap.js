// The portal's Bootstrap JavaScript: only the plugins templates use (data-bs-toggle="collapse"
// for the navigation and the search filters, "dropdown" for the account menu,
// data-bs-dismiss="alert" for messages). Built by `make bootstrap` with esbuild into
// static/vendor/bootstrap/bootstrap.min.js; each plugin registers its data-API on import.
export { default as Alert } from "bootstrap/js/src/alert.js";
export { default as Collapse } from "bootstrap/js/src/collapse.js";
export { default as Dropdown } from "bootstrap/js/src/dropdown.js";
