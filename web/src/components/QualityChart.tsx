// Quality against size for a whole tree (Chart.js): one point per model with the chosen metric,
// and the Pareto frontier — the models no other model beats on both size and quality.
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'react';

Chart.register(ScatterController, LineController, LineElement, PointElement, LinearScale, Tooltip, Legend);

export interface Point {
  name: string;
  parameters: number;
  value: number;
}

/** Lower is better for perplexity-like metrics, higher for accuracies. */
export function paretoFrontier(points: readonly Point[], lowerIsBetter: boolean): Point[] {
  const better = (a: number, b: number) => (lowerIsBetter ? a < b : a > b);
  const sorted = [...points].sort((a, b) => a.parameters - b.parameters || (better(a.value, b.value) ? -1 : 1));
  const front: Point[] = [];
  for (const p of sorted) if (!front.length || better(p.value, front.at(-1)!.value)) front.push(p);
  return front;
}

export function QualityChart({ points, metric, lowerIsBetter }: { points: Point[]; metric: string; lowerIsBetter: boolean }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const front = paretoFrontier(points, lowerIsBetter);
    const chart = new Chart(canvas.current, {
      type: 'scatter',
      data: {
        datasets: [
          {
            label: 'models',
            data: points.map((p) => ({ x: p.parameters / 1e6, y: p.value, name: p.name })),
            backgroundColor: '#1f6d3d',
            pointRadius: 5,
          },
          {
            type: 'line',
            label: 'Pareto frontier',
            data: front.map((p) => ({ x: p.parameters / 1e6, y: p.value, name: p.name })),
            borderColor: '#e0a100',
            backgroundColor: '#e0a100',
            pointRadius: 7,
            pointStyle: 'rectRot',
          },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        scales: { x: { type: 'linear', title: { display: true, text: 'parameters (M)' } }, y: { title: { display: true, text: metric } } },
        plugins: {
          tooltip: {
            callbacks: { label: (c) => `${(c.raw as { name: string }).name}: ${c.parsed.y?.toFixed(3)} at ${c.parsed.x?.toFixed(2)} M` },
          },
        },
      },
    });
    return () => chart.destroy();
  }, [points, metric, lowerIsBetter]);
  return (
    <figure className="card">
      <canvas ref={canvas} role="img" aria-label={`${metric} against parameters, with the Pareto frontier`} />
      <figcaption>
        {metric} against parameters for {points.length} models; the frontier joins the models no other beats on both (
        {lowerIsBetter ? 'lower' : 'higher'} is better).
      </figcaption>
    </figure>
  );
}
