// `make chart`: the portal's Chart.js, built from the pinned npm package (package.json,
// package-lock.json) into static/vendor/chartjs/:
//   chart.min.js   frontend/chart.js (the controllers, elements, scales and plugins the
//                  report's charts use) with esbuild, as an IIFE exposing window.IshtiraakChart
//   LICENSE.md     Chart.js's MIT licence, copied
// Output is deterministic (the same sources give the same bytes), so a rebuild with
// unchanged sources leaves git clean.
import { copyFileSync, readFileSync } from "node:fs";
import * as esbuild from "esbuild";

const out = "static/vendor/chartjs";
const { version } = JSON.parse(readFileSync("node_modules/chart.js/package.json", "utf8"));

await esbuild.build({
  entryPoints: ["frontend/chart.js"],
  bundle: true,
  minify: true,
  format: "iife",
  globalName: "IshtiraakChart",
  target: "es2019",
  banner: {
    js: `/*! Chart.js v${version} (https://www.chartjs.org), MIT License; the Ishtiraak portal's subset (line, bar), built by make chart */`,
  },
  legalComments: "none",
  outfile: `${out}/chart.min.js`,
});
copyFileSync("node_modules/chart.js/LICENSE.md", `${out}/LICENSE.md`);
console.log(`static/vendor/chartjs: chart.min.js (Chart.js ${version}), LICENSE.md`);
