// The model tree drawn as a graph: d3-hierarchy's tidy tree layout; each edge labelled with its
// relation on the edge itself, near its child; hovering an edge shows the recipe, clicking it opens
// the child; nodes expand and collapse (keyboard: Enter/Space); fit to width, zoom and pan (the
// frame scrolls); the current model highlighted; full names on hover.
import { hierarchy, tree as tidyTree } from 'd3-hierarchy';
import { useEffect, useMemo, useRef, useState } from 'react';
import { formatParams } from '../api';
import { href, navigate } from '../router';

export interface TreeNodeData {
  id: string;
  name: string;
  status: string;
  parameterCount: string | null;
  children: TreeNodeData[];
  relation: string | null;
  /** The recipe of the edge from the parent, in words. */
  recipe: string | null;
}

const NODE_W = 240;
const NODE_H = 64;
const LEVEL = NODE_H * 1.9;

/** A long name cut in the middle, so both the owner and the distinguishing end stay visible. */
export function shortName(name: string, max = 32): string {
  if (name.length <= max) return name;
  const keep = max - 1;
  return `${name.slice(0, Math.ceil(keep / 2))}…${name.slice(name.length - Math.floor(keep / 2))}`;
}

/** A point of the edge's cubic Bézier curve at t. */
function bezier(p0: number, p1: number, p2: number, p3: number, t: number): number {
  const u = 1 - t;
  return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
}

export function TreeGraph({ root, current }: { root: TreeNodeData; current: string }) {
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const frame = useRef<HTMLDivElement>(null);
  const [zoom, setZoom] = useState<number | null>(null);
  const layout = useMemo(() => {
    const h = hierarchy(root, (d) => (collapsed.has(d.id) ? [] : d.children));
    return tidyTree<TreeNodeData>().nodeSize([NODE_W, LEVEL])(h);
  }, [root, collapsed]);
  const nodes = layout.descendants();
  const xs = nodes.map((n) => n.x);
  const minX = Math.min(...xs) - NODE_W / 2;
  const width = Math.max(...xs) - minX + NODE_W / 2;
  const height = Math.max(...nodes.map((n) => n.y)) + NODE_H + 20;
  const fitZoom = () => (frame.current ? Math.min(1, (frame.current.clientWidth - 4) / width) : 1);
  // Wide families start fitted to the frame's width; on a phone no smaller than 60 %, so names stay
  // readable, and the frame scrolls sideways (Fit to width shows it whole).
  // biome-ignore lint/correctness/useExhaustiveDependencies: fitted once per layout width.
  useEffect(() => {
    const narrow = (frame.current?.clientWidth ?? 1000) < 600;
    setZoom(narrow ? Math.max(fitZoom(), 0.6) : fitZoom());
  }, [width]);
  const scale = zoom ?? 1;
  // A frame that scrolls (a wide family on a phone) opens on the current model, not on the left edge.
  const centred = useRef(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, when the first zoom is known.
  useEffect(() => {
    const f = frame.current;
    if (!f || zoom === null || centred.current) return;
    centred.current = true;
    const node = nodes.find((n) => n.data.name === current) ?? nodes[0]!;
    f.scrollLeft = Math.max(0, (node.x - minX) * scale - f.clientWidth / 2);
  }, [zoom]);
  const toggle = (id: string) => {
    const next = new Set(collapsed);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setCollapsed(next);
  };
  return (
    <div className="tree-view">
      <div className="tree-tools" role="toolbar" aria-label="tree view">
        <button type="button" className="secondary small" onClick={() => setZoom(fitZoom())}>
          Fit to width
        </button>
        <button type="button" className="secondary small" aria-label="zoom in" onClick={() => setZoom(Math.min(2, scale * 1.25))}>
          +
        </button>
        <button type="button" className="secondary small" aria-label="zoom out" onClick={() => setZoom(Math.max(0.2, scale / 1.25))}>
          −
        </button>
        <span className="muted">{Math.round(scale * 100)} %</span>
      </div>
      <div className="tree-svg" ref={frame}>
        <svg
          width={width * scale}
          height={height * scale}
          viewBox={`${minX} -10 ${width} ${height}`}
          role="img"
          aria-label={`model tree of ${root.name}`}
        >
          {layout.links().map((l) => {
            const x0 = l.source.x;
            const y0 = l.source.y + NODE_H - 16;
            const x3 = l.target.x;
            const y3 = l.target.y - 2;
            const ym = (y0 + y3) / 2;
            // The label sits on the edge at 70 % of the way to the child, so it names the child's edge.
            const lx = bezier(x0, x0, x3, x3, 0.7);
            const ly = bezier(y0, ym, ym, y3, 0.7);
            const label = l.target.data.relation?.toLowerCase().replace('_', '-') ?? '';
            const open = () => navigate(href('model', l.target.data.name));
            return (
              // biome-ignore lint/a11y/useSemanticElements: an SVG link; an <a> would not take the whole curve.
              <g
                key={`${l.source.data.id}-${l.target.data.id}`}
                className="edge"
                data-child={l.target.data.name}
                role="link"
                tabIndex={0}
                aria-label={`${label}: ${l.target.data.name}`}
                onClick={open}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') open();
                }}
              >
                <title>{`${l.source.data.name} → ${l.target.data.name}\n${label}${l.target.data.recipe ? `: ${l.target.data.recipe}` : ''}`}</title>
                <path
                  className="edge-hit"
                  d={`M${x0},${y0} C${x0},${ym} ${x3},${ym} ${x3},${y3}`}
                  fill="none"
                  stroke="transparent"
                  strokeWidth={14}
                />
                <path className="edge-line" d={`M${x0},${y0} C${x0},${ym} ${x3},${ym} ${x3},${y3}`} fill="none" stroke="#8aa596" />
                <text
                  className="edge-label"
                  x={lx}
                  y={ly + 4}
                  textAnchor="middle"
                  fill="#3c5446"
                  stroke="#fff"
                  strokeWidth={4}
                  paintOrder="stroke"
                >
                  {label}
                </text>
              </g>
            );
          })}
          {nodes.map((n) => {
            const here = n.data.name === current;
            return (
              <g
                key={n.data.id}
                transform={`translate(${n.x - NODE_W / 2 + 6},${n.y})`}
                className={here ? 'node current' : 'node'}
                data-name={n.data.name}
              >
                <title>{`${n.data.name} — ${formatParams(n.data.parameterCount)} parameters, ${n.data.status.toLowerCase()}`}</title>
                <rect
                  width={NODE_W - 12}
                  height={NODE_H - 16}
                  rx={6}
                  fill={here ? '#e6f2ea' : '#fff'}
                  stroke={here ? '#0d4a26' : n.data.status === 'READY' ? '#1f6d3d' : '#c9a227'}
                  strokeWidth={here ? 3 : 1}
                />
                <a href={href('model', n.data.name)}>
                  <text x={8} y={18} fontWeight={600}>
                    {shortName(n.data.name)}
                  </text>
                </a>
                <text x={8} y={36}>
                  {formatParams(n.data.parameterCount)} · {n.data.status.toLowerCase()}
                  {here ? ' · this model' : ''}
                </text>
                {n.data.children.length > 0 && (
                  // biome-ignore lint/a11y/useSemanticElements: an SVG control; a <button> cannot live inside <svg>.
                  <g
                    role="button"
                    tabIndex={0}
                    aria-label={`${collapsed.has(n.data.id) ? 'expand' : 'collapse'} ${n.data.name}`}
                    aria-expanded={!collapsed.has(n.data.id)}
                    onClick={() => toggle(n.data.id)}
                    onKeyDown={(e) => {
                      if (e.key === 'Enter' || e.key === ' ') {
                        e.preventDefault();
                        toggle(n.data.id);
                      }
                    }}
                    style={{ cursor: 'pointer' }}
                  >
                    <circle cx={NODE_W - 26} cy={NODE_H - 16} r={9} fill="#1f6d3d" />
                    <text x={NODE_W - 26} y={NODE_H - 12} textAnchor="middle" fill="#fff">
                      {collapsed.has(n.data.id) ? `+${n.data.children.length}` : '−'}
                    </text>
                  </g>
                )}
              </g>
            );
          })}
        </svg>
      </div>
    </div>
  );
}
