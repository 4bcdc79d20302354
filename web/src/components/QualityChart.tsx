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
    const chart = new Chart(canvas.current, {
      type: 'scatter',
      data: {
        datasets: [
          { label: 'models', data: main.map(xy), backgroundColor: '#1f6d3d', pointRadius: 6, pointHoverRadius: 8 },
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
                  label: 'measured differently (not on the frontier)',
                  data: apart.map(xy),
                  backgroundColor: '#fff',
                  borderColor: '#8a8a8a',
                  pointRadius: 6,
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
              label: (c) => `${(c.raw as { name: string }).name}: ${c.parsed.y?.toFixed(3)} at ${c.parsed.x?.toFixed(2)} M (click to open)`,
            },
          },
        },
      },
    });
    return () => chart.destroy();
  }, [main, apart, metric, lowerIsBetter, onOpen]);
  return (
    <figure className="card">
      <div className="chart-box">
        <canvas ref={canvas} role="img" aria-label={`${metric} against parameters, with the Pareto frontier`} />
      </div>
      <figcaption>
        {metric} against parameters for {points.length} models; the frontier joins the models no other beats on both (
        {lowerIsBetter ? 'lower' : 'higher'} is better), among the {main.length} measured the same way.
        {apart.length > 0 &&
          ` ${apart.map((p) => p.name).join(', ')} ${apart.length === 1 ? 'was' : 'were'} measured with a different tokenizer or settings, so ${apart.length === 1 ? 'it is' : 'they are'} shown apart and not compared.`}
      </figcaption>
    </figure>
  );
}
