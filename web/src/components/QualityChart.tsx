// Quality against size for a whole tree (Chart.js): one point per model with the chosen metric,
// and the Pareto frontier — the models no other model beats on both size and quality — drawn only
// through results that can be compared (same dataset and settings, and for per-token metrics the
// same tokenizer); the others are shown apart, with the reason. Points open their model.
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip } from 'chart.js';
import { useEffect, useMemo, useRef } from 'react';

Chart.register(ScatterController, LineController, LineElement, PointElement, LinearScale, Tooltip, Legend);

export interface Point {
  name: string;
  parameters: number;
  value: number;
  /** Results with equal keys are comparable (dataset, settings, tokenizer where it matters). */
  comparableKey?: string;
  /** Why it cannot be compared with the reference, in the catalog's words (quality.ts). */
  note?: string;
}

/** The points measured like the reference point (the tree's root, else the largest group), and the rest. */
export function comparableGroups(points: readonly Point[], reference?: string): { main: Point[]; apart: Point[] } {
  const counts = new Map<string, number>();
  for (const p of points) counts.set(p.comparableKey ?? '', (counts.get(p.comparableKey ?? '') ?? 0) + 1);
  const refKey = points.find((p) => p.name === reference)?.comparableKey ?? [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  return {
    main: points.filter((p) => (p.comparableKey ?? '') === refKey),
    apart: points.filter((p) => (p.comparableKey ?? '') !== refKey),
  };
}

/** Points at the same size and value, grouped (the reference first in its group), in first-seen order. */
export function coincident(points: readonly Point[], reference?: string): Point[][] {
  const groups = new Map<string, Point[]>();
  for (const p of points) {
    const key = `${p.parameters}:${p.value}`;
    const g = groups.get(key) ?? [];
    if (p.name === reference) g.unshift(p);
    else g.push(p);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** A marker's label: its model's name, or the first name and how many more share the marker. */
export function markerLabel(names: readonly string[]): string {
  return names.length > 1 ? `${names[0]} + ${names.length - 1} more (same size and value)` : (names[0] ?? '');
}

/**
 * Names beside the markers of the models and the apart datasets, drawn with Chart.js's plugin hook
 * (afterDatasetsDraw, https://www.chartjs.org/docs/latest/developers/plugins.html): right of the
 * marker, or left of it where the label would leave the plot; a white halo keeps it readable over lines.
 */
const pointLabels = {
  id: 'bonsaiPointLabels',
  afterDatasetsDraw(chart: Chart) {
    const { ctx, chartArea } = chart;
    ctx.save();
    ctx.font = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.lineWidth = 4;
    ctx.strokeStyle = '#fff';
    ctx.fillStyle = '#1d2a22';
    chart.data.datasets.forEach((dataset, i) => {
      if (dataset.type === 'line' || !chart.isDatasetVisible(i)) return;
      chart.getDatasetMeta(i).data.forEach((el, j) => {
        const names = (dataset.data[j] as unknown as { names?: string[] }).names ?? [];
        const text = markerLabel(names);
        const r = Number((el.options as { radius?: number }).radius ?? 6) + 5;
        const width = ctx.measureText(text).width;
        const right = el.x + r + width <= chartArea.right;
        ctx.textAlign = right ? 'left' : 'right';
        const x = right ? el.x + r : el.x - r;
        ctx.strokeText(text, x, el.y);
        ctx.fillText(text, x, el.y);
      });
    });
    ctx.restore();
  },
};

/** Lower is better for perplexity-like metrics, higher for accuracies. */
export function paretoFrontier(points: readonly Point[], lowerIsBetter: boolean): Point[] {
  const better = (a: number, b: number) => (lowerIsBetter ? a < b : a > b);
  const sorted = [...points].sort((a, b) => a.parameters - b.parameters || (better(a.value, b.value) ? -1 : 1));
  const front: Point[] = [];
  for (const p of sorted) if (!front.length || better(p.value, front.at(-1)!.value)) front.push(p);
  return front;
}

export function QualityChart({
  points,
  metric,
  lowerIsBetter,
  reference,
  onOpen,
}: {
  points: Point[];
  metric: string;
  lowerIsBetter: boolean;
  reference?: string;
  onOpen?: (name: string) => void;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  // Memoised: a new array each render would rebuild the chart on every render of the page.
  const { main, apart } = useMemo(() => comparableGroups(points, reference), [points, reference]);
  useEffect(() => {
    if (!canvas.current) return;
    const front = paretoFrontier(main, lowerIsBetter);
    const xy = (p: Point) => ({ x: p.parameters / 1e6, y: p.value, name: p.name });
    // Models of the same size and value (fine-tunes of one checkpoint) share one marker, drawn larger
    // with its count, named together in its label and its tooltip; a click opens the first of them.
    const marker = (group: Point[]) => ({ ...xy(group[0]!), names: group.map((p) => p.name) });
    const radius = (group: { names: string[] }) => Math.min(12, 6 + 2 * (group.names.length - 1));
    const mainMarkers = coincident(main, reference).map(marker);
    const apartMarkers = coincident(apart, reference).map(marker);
    const chart = new Chart(canvas.current, {
      type: 'scatter',
      data: {
        datasets: [
          {
            label: 'models',
            data: mainMarkers,
            backgroundColor: '#1f6d3d',
            pointRadius: mainMarkers.map(radius),
            pointHoverRadius: mainMarkers.map((m) => radius(m) + 2),
          },
          {
            type: 'line',
            label: 'Pareto frontier',
            data: front.map(xy),
            borderColor: '#e0a100',
            backgroundColor: '#e0a100',
            pointRadius: 7,
            pointStyle: 'rectRot',
          },
          ...(apart.length
            ? [
                {
                  label: 'not comparable (not on the frontier)',
                  data: apartMarkers,
                  backgroundColor: '#fff',
                  borderColor: '#8a8a8a',
                  pointRadius: apartMarkers.map(radius),
                  pointStyle: 'triangle' as const,
                },
              ]
            : []),
        ],
      },
      options: {
        animation: false,
        responsive: true,
        // The canvas sits alone in a box of fixed height, as Chart.js asks of responsive charts: sized from a
        // parent it shares with the caption, each resize fed back into the next (the chart shrank to a corner).
        maintainAspectRatio: false,
        onClick: (_e, elements) => {
          const hit = elements[0];
          if (!hit || !onOpen) return;
          // The frontier's points carry one name; a marker carries all the names it stands for.
          const raw = chart.data.datasets[hit.datasetIndex]!.data[hit.index] as unknown as { name: string };
          onOpen(raw.name);
        },
        onHover: (e, elements) => {
          const target = e.native?.target as HTMLElement | undefined;
          if (target) target.style.cursor = elements.length ? 'pointer' : 'default';
        },
        scales: { x: { type: 'linear', title: { display: true, text: 'parameters (M)' } }, y: { title: { display: true, text: metric } } },
        plugins: {
          tooltip: {
            callbacks: {
              label: (c) => {
                const names = (c.raw as { names?: string[]; name: string }).names ?? [(c.raw as { name: string }).name];
                return names.map((n) => `${n}: ${c.parsed.y?.toFixed(3)} at ${c.parsed.x?.toFixed(2)} M`);
              },
              footer: () => 'click to open',
            },
          },
        },
      },
      plugins: [pointLabels],
    });
    return () => chart.destroy();
  }, [main, apart, metric, lowerIsBetter, onOpen, reference]);
  return (
    <figure className="card">
      <div className="chart-box">
        <canvas ref={canvas} role="img" aria-label={`${metric} against parameters, with the Pareto frontier`} />
      </div>
      <figcaption>
        {metric} against parameters for {points.length} models; the frontier joins the models no other beats on both (
        {lowerIsBetter ? 'lower' : 'higher'} is better), among the {main.length} measured the same way.
        {apart.length > 0 && ` Shown apart (hollow triangles), off the frontier:`}
      </figcaption>
      <details className="chart-data">
        <summary>The chart's figures</summary>
        <table aria-label={`${metric} of each model`}>
          <thead>
            <tr>
              <th>Model</th>
              <th>Parameters</th>
              <th>{metric}</th>
              <th>Drawn</th>
            </tr>
          </thead>
          <tbody>
            {[...coincident(main, reference), ...coincident(apart, reference)].flatMap((group) =>
              group.map((p) => (
                <tr key={p.name}>
                  <td>{p.name}</td>
                  <td>{(p.parameters / 1e6).toFixed(2)} M</td>
                  <td>{p.value.toFixed(3)}</td>
                  <td>
                    {apart.includes(p) ? 'apart' : 'compared'}
                    {group.length > 1 ? `, one marker for ${group.length} models` : ''}
                  </td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      </details>
      {apart.length > 0 && (
        <ul className="apart">
          {apart.map((p) => (
            <li key={p.name}>
              {p.name}: {p.note ?? 'not comparable: measured differently from the reference'}
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}
