// The portal's Chart.js: only the parts static/js/charts.js draws with (line and bar charts
// on category and linear axes, with a legend and tooltips). Built by `make chart` with
// esbuild into static/vendor/chartjs/chart.min.js; a page that draws charts includes it
// through templates/evidence/_chart_assets.html, no other page loads it. Registering parts
// by hand (rather than "chart.js/auto") leaves out the doughnut, radar, polar, bubble and
// scatter controllers, the time and logarithmic scales, the title, subtitle, decimation,
// filler and colors plugins: about half of the library.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";

Chart.register(
  BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement,
  Legend, Tooltip,
);

export { Chart };
