// `make bootstrap`: the portal's Bootstrap, built from the pinned npm packages (package.json,
// package-lock.json) into static/vendor/bootstrap/:
//   bootstrap.min.css      frontend/bootstrap.scss (the components the portal uses), then
//                          PurgeCSS keeps the rules whose classes the templates, the Python
//                          code and static/js name (utilities come in families of dozens)
//   bootstrap.rtl.min.css  the same through rtlcss, as Bootstrap builds its own RTL file
//   bootstrap.min.js       frontend/bootstrap.js (alert, collapse, dropdown) with esbuild
// Output is deterministic (the same sources give the same bytes), so a rebuild with
// unchanged sources leaves git clean.
import { readFileSync, writeFileSync } from "node:fs";
import * as sass from "sass";
import { PurgeCSS } from "purgecss";
import rtlcss from "rtlcss";
import * as esbuild from "esbuild";

const out = "static/vendor/bootstrap";

// The button styles ill/states.py gives its actions (Action(..., style="success")).
function actionStyles() {
  const source = readFileSync("ill/states.py", "utf8");
  return [...new Set([...source.matchAll(/style(?::\s*str)?\s*=\s*"([a-z-]+)"/g)].map((m) => m[1]))];
}

const compiled = sass.compile("frontend/bootstrap.scss", {
  loadPaths: ["node_modules"],
  style: "compressed",
  quietDeps: true,
  // Bootstrap 5.3's Sass still uses @import and the global colour functions.
  silenceDeprecations: ["import", "global-builtin", "color-functions", "if-function"],
}).css;

const [purged] = await new PurgeCSS().purge({
  content: [
    "templates/**/*.html",
    "*/templates/**/*.html",
    "{catalogue,consortium,ill,members,policies}/**/*.py",
    "static/js/*.js",
  ],
  css: [{ raw: compiled }],
  safelist: {
    standard: [
      // Classes Bootstrap's JavaScript adds.
      "show", "showing", "hiding", "collapsing", "fade", "active", "disabled",
      // Classes templates build from a value: btn-{{ a.style }} (the actions' styles in
      // ill/states.py), alert-{{ message.tags }} (error shown as danger), text-bg-{% if %}.
      ...actionStyles().map((style) => `btn-${style}`),
      ...["info", "success", "warning", "danger"].map((level) => `alert-${level}`),
      ...["success", "info", "warning", "secondary", "light"].map((tone) => `text-bg-${tone}`),
    ],
    // Read by the dropdown's JavaScript (getComputedStyle), not by any var() in the CSS.
    variables: ["--bs-position"],
  },
  // Attributes set by JavaScript (data-bs-popper) or by Django's form widgets, whose
  // templates PurgeCSS does not read (multiple, size, disabled, readonly...).
  dynamicAttributes: [
    "data-bs-popper", "disabled", "multiple", "readonly", "size", "type", "hidden", "list", "role", "title",
  ],
  // Keep the :root custom properties: components read them at run time.
  variables: true,
  keyframes: true,
});

// esbuild's minifier also drops the spaces Sass leaves in custom properties and the byte
// order mark it puts first.
const { code: css } = await esbuild.transform(purged.css, { loader: "css", minify: true });
const header = "/*! Bootstrap v5.3.9 (https://getbootstrap.com/), MIT License; the Ishtiraak portal's subset, built by make bootstrap */\n";
writeFileSync(`${out}/bootstrap.min.css`, header + css);
writeFileSync(`${out}/bootstrap.rtl.min.css`, header + rtlcss.process(css));

await esbuild.build({
  entryPoints: ["frontend/bootstrap.js"],
  bundle: true,
  minify: true,
  format: "iife",
  globalName: "bootstrap",
  target: "es2019",
  alias: { "@popperjs/core": "./frontend/static-popper.js" },
  banner: { js: "/*! Bootstrap v5.3.9 (https://getbootstrap.com/), MIT License; alert, collapse and dropdown */" },
  legalComments: "none",
  outfile: `${out}/bootstrap.min.js`,
});
console.log("static/vendor/bootstrap: bootstrap.min.css, bootstrap.rtl.min.css, bootstrap.min.js");
