// Draws each <figure data-chart> (templates/evidence/_chart.html) from its own table with
// Chart.js (static/vendor/chartjs/chart.min.js, built by `make chart`). The table is the
// source and the accessible form; the canvas is a picture of it (aria-hidden). No inline
// script or style: the options are the figure's and the header cells' data attributes, and
// sizes are set through the CSSOM, which the Content-Security-Policy allows.
"use strict";

(() => {
  const Chart = window.IshtiraakChart && window.IshtiraakChart.Chart;
  if (!Chart) {
    return; // the bundle did not load: the tables are all there is, and they are enough
  }
  const rtl = document.documentElement.dir === "rtl";

  // Okabe and Ito's palette, told apart with the common colour-vision deficiencies; in the
  // order that keeps neighbours apart in greyscale too. Lines also differ by dash and point
  // shape, so a black-and-white print still tells them apart (and the table is printed).
  const COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"];
  const DASHES = [[], [6, 3], [2, 2], [8, 3, 2, 3], [4, 4], [1, 3], [10, 2]];
  const POINTS = ["circle", "rect", "triangle", "rectRot", "crossRot", "star", "cross"];
  const BELOW_ZERO = 5; // vermillion: a net borrower's bar beside a net lender's blue

  // A long label of a horizontal chart (a reason a lender gave) in lines of about 18
  // characters, broken between words: Chart.js draws an array as lines.
  function wrap(label) {
    const lines = [];
    for (const word of label.split(" ")) {
      const last = lines.length - 1;
      if (last >= 0 && lines[last].length + word.length < 18) {
        lines[last] += ` ${word}`;
      } else {
        lines.push(word);
      }
    }
    return lines.length > 1 ? lines : label;
  }

  // A figure as text on the canvas: kept left to right (-1, not 1-) in an Urdu chart by
  // left-to-right marks around it.
  const asText = (value, suffix) => (value === null ? "—" : `\u200e${value}${suffix}\u200e`);

  const text = (node) => (node ? node.textContent.replace(/\s+/g, " ").trim() : "");

  // The table's figures: the row labels, and one series per header cell not marked
  // data-chart-skip (its data-series picks the colour), with null for a cell with no value.
  function readTable(table) {
    const headers = Array.from(table.tHead.rows[0].cells).slice(1);
    const columns = headers
      .map((cell, index) => ({ cell, index }))
      .filter(({ cell }) => !cell.hasAttribute("data-chart-skip"));
    const rows = Array.from(table.tBodies[0].rows).filter((row) => row.cells[0].tagName === "TH");
    const labels = rows.map((row) => text(row.cells[0]));
    const series = columns.map(({ cell, index }, place) => ({
      label: text(cell),
      palette: Number(cell.dataset.series ?? place),
      values: rows.map((row) => {
        const figure = row.cells[index + 1];
        const value = figure ? figure.dataset.value : undefined;
        return value === undefined || value === "" ? null : Number(value);
      }),
    }));
    return { labels, series };
  }

  function dataset(kind, serie, signed) {
    const colour = COLOURS[serie.palette % COLOURS.length];
    if (kind === "line") {
      return {
        label: serie.label,
        data: serie.values,
        borderColor: colour,
        backgroundColor: colour,
        borderDash: DASHES[serie.palette % DASHES.length],
        borderWidth: 2,
        pointStyle: POINTS[serie.palette % POINTS.length],
        pointRadius: 3,
        pointHoverRadius: 5,
        spanGaps: false, // a month with nothing measured is a gap, not a made-up line
      };
    }
    const below = COLOURS[BELOW_ZERO];
    return {
      label: serie.label,
      data: serie.values,
      backgroundColor: signed ? serie.values.map((v) => (v !== null && v < 0 ? below : colour)) : colour,
      borderColor: "#ffffff",
      borderWidth: 1,
      maxBarThickness: 28,
    };
  }

  function options(figure, kind, series) {
    const horizontal = figure.hasAttribute("data-horizontal");
    const suffix = figure.dataset.ySuffix || "";
    const max = figure.dataset.yMax === undefined ? undefined : Number(figure.dataset.yMax);
    const whole = figure.dataset.format !== "percent";
    const font = getComputedStyle(figure).fontFamily;
    const stacked = kind === "stacked";
    const value = {
      beginAtZero: true,
      max,
      stacked,
      ticks: { precision: whole ? 0 : undefined, callback: (v) => asText(v, suffix), font: { family: font } },
      // In Urdu the value axis of a horizontal chart runs from the right, as the text does,
      // and a vertical chart's stands at the right, where its time axis starts.
      reverse: horizontal && rtl,
      position: !horizontal && rtl ? "right" : undefined,
    };
    const category = {
      stacked,
      grid: { display: false },
      // In Urdu time runs from right to left, and a horizontal chart's labels stand at the right.
      reverse: !horizontal && rtl,
      position: horizontal && rtl ? "right" : undefined,
      // The first and last labels inside the chart's box (a phone's width cuts them off), with
      // room between labels for the half a label each of those moves inwards.
      ticks: {
        autoSkip: true,
        autoSkipPadding: 24,
        maxRotation: 0,
        align: horizontal ? "center" : "inner",
        font: { family: font },
      },
    };
    return {
      indexAxis: horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : { duration: 300 },
      interaction: { mode: "index", intersect: false },
      layout: { padding: { top: 4 } },
      scales: horizontal ? { x: value, y: category } : { x: category, y: value },
      plugins: {
        legend: {
          display: series.length > 1,
          rtl,
          textDirection: rtl ? "rtl" : "ltr",
          labels: { usePointStyle: kind === "line", boxWidth: 12, font: { family: font } },
        },
        tooltip: {
          rtl,
          textDirection: rtl ? "rtl" : "ltr",
          titleFont: { family: font },
          bodyFont: { family: font },
          callbacks: {
            label: (item) => `${item.dataset.label}: ${asText(item.raw, suffix)}`,
          },
        },
      },
    };
  }

  const charts = [];
  for (const figure of document.querySelectorAll("figure[data-chart]")) {
    const canvas = figure.querySelector("canvas");
    const table = figure.querySelector("table");
    if (!canvas || !table || !table.tHead || !table.tBodies.length) {
      continue;
    }
    const kind = figure.dataset.chart;
    const { labels, series } = readTable(table);
    if (!labels.length || !series.length) {
      continue;
    }
    const horizontal = figure.hasAttribute("data-horizontal");
    const shown = horizontal ? labels.map(wrap) : labels;
    if (horizontal) {
      // One bar per row, each with room for its label's lines: the chart grows with its rows.
      const lines = shown.reduce((sum, label) => sum + (Array.isArray(label) ? label.length : 1), 0);
      canvas.parentElement.style.height = `${Math.max(8, 1.2 * lines + 1.2 * labels.length + 3)}rem`;
    }
    const signed = figure.hasAttribute("data-signed");
    charts.push(
      new Chart(canvas, {
        type: kind === "line" ? "line" : "bar",
        data: { labels: shown, datasets: series.map((serie) => dataset(kind, serie, signed)) },
        options: options(figure, kind, series),
      }),
    );
    figure.dataset.chartDrawn = "true";
  }

  // A printed page is narrower than the screen: draw again at its width, and back after.
  for (const event of ["beforeprint", "afterprint"]) {
    window.addEventListener(event, () => charts.forEach((chart) => chart.resize()));
  }
})();
