// The model tree drawn as a graph (the layout in treeLayout.ts): top-down, children in rows that use
// the frame's width and stack on a phone; each edge labelled with its relation just above its child;
// hovering an edge shows the recipe, clicking it opens the child; nodes expand and collapse
// (keyboard: Enter/Space); zoom keeps the current model where it is on the screen; full names, wrapped.
import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { formatParams } from '../api';
import { href, navigate } from '../router';
import { edgePath, layoutTree, SIZES } from './treeLayout';

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

const FONT = `600 ${SIZES.font}px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
/** Text widths from the browser's own metrics, so a wrapped name never runs out of its box. */
function measurer(): (text: string) => number {
  const ctx = document.createElement('canvas').getContext('2d');
  if (!ctx) return (t) => t.length * SIZES.font * 0.62;
  ctx.font = FONT;
  return (t) => ctx.measureText(t).width;
}

/** The frame's inner width, followed as the window changes. */
function useWidth(ref: React.RefObject<HTMLDivElement | null>): number {
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    setWidth(el.clientWidth);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

const MARGIN = 8;

export function TreeGraph({ root, current }: { root: TreeNodeData; current: string }) {
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const frame = useRef<HTMLDivElement>(null);
  const frameWidth = useWidth(frame);
  const [zoom, setZoom] = useState(1);
  const measure = useMemo(measurer, []);
  // Laid out for the frame at 100 %: zooming scales the drawing, it does not move boxes between rows.
  const layout = useMemo(() => {
    if (!frameWidth) return null;
    const room = frameWidth - 2 * MARGIN;
    // A phone stacks the children one per row: the boxes take that row (two generations of indents kept).
    const nodeWidth =
      room < 2 * SIZES.nodeWidth + SIZES.indent + SIZES.gapX ? Math.max(SIZES.nodeWidth, room - 2 * SIZES.indent) : SIZES.nodeWidth;
    return layoutTree(root, room, measure, (id) => collapsed.has(id), nodeWidth);
  }, [root, frameWidth, measure, collapsed]);
  // Zoom anchored on the current model: where it was on the screen before, it is after.
  const anchor = useRef<{ x: number; y: number } | null>(null);
  const currentBox = () => frame.current?.querySelector('g.node.current')?.getBoundingClientRect() ?? null;
  const zoomTo = (z: number) => {
    const box = currentBox();
    anchor.current = box ? { x: box.x + box.width / 2, y: box.y + box.height / 2 } : null;
    setZoom(z);
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs after each zoom, once the drawing has its new size.
  useLayoutEffect(() => {
    const before = anchor.current;
    const box = currentBox();
    anchor.current = null;
    if (!before || !box || !frame.current) return;
    frame.current.scrollLeft += box.x + box.width / 2 - before.x;
    window.scrollBy(0, box.y + box.height / 2 - before.y);
  }, [zoom]);
  // A frame that scrolls opens on the current model, not on the left edge.
  const centred = useRef(false);
  useLayoutEffect(() => {
    const f = frame.current;
    const box = currentBox();
    if (!f || !box || centred.current) return;
    centred.current = true;
    const fb = f.getBoundingClientRect();
    if (box.x + box.width > fb.x + fb.width) f.scrollLeft += box.x + box.width / 2 - (fb.x + fb.width / 2);
  });
  const toggle = (id: string) => {
    const next = new Set(collapsed);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setCollapsed(next);
  };
  const width = (layout?.width ?? 0) + 2 * MARGIN;
  const height = (layout?.height ?? 0) + 2 * MARGIN;
  return (
    <div className="tree-view">
      <div className="tree-tools" role="toolbar" aria-label="tree view">
        <button type="button" className="secondary small" onClick={() => zoomTo(Math.min(1, (frameWidth - 2) / width))}>
          Fit to width
        </button>
        <button type="button" className="secondary small" aria-label="zoom in" onClick={() => zoomTo(Math.min(2, zoom * 1.25))}>
          +
        </button>
        <button type="button" className="secondary small" aria-label="zoom out" onClick={() => zoomTo(Math.max(0.3, zoom / 1.25))}>
          −
        </button>
        <span className="muted">{Math.round(zoom * 100)} %</span>
      </div>
      <div className="tree-svg" ref={frame}>
        {layout && (
          <svg
            width={width * zoom}
            height={height * zoom}
            viewBox={`${-MARGIN} ${-MARGIN} ${width} ${height}`}
            role="img"
            aria-label={`model tree of ${root.name}`}
          >
            {layout.nodes.map((n) => {
              const e = n.edge;
              if (!e) return null;
              const label = n.data.relation?.toLowerCase().replace('_', '-') ?? '';
              const open = () => navigate(href('model', n.data.name));
              const d = edgePath(e);
              return (
                // biome-ignore lint/a11y/useSemanticElements: an SVG link; an <a> would not take the whole line.
                <g
                  key={`edge-${n.data.id}`}
                  className="edge"
                  data-child={n.data.name}
                  role="link"
                  tabIndex={0}
                  aria-label={`${label}: ${n.data.name}`}
                  onClick={open}
                  onKeyDown={(ev) => {
                    if (ev.key === 'Enter') open();
                  }}
                >
                  <title>{`${e.parent.name} → ${n.data.name}\n${label}${n.data.recipe ? `: ${n.data.recipe}` : ''}`}</title>
                  {/* Only the edge's own drop into its child takes clicks: the trunk and the bus are shared with its siblings. */}
                  <path className="edge-hit" d={`M${e.x1},${e.bus} V${e.y1}`} fill="none" stroke="transparent" strokeWidth={14} />
                  <path className="edge-line" d={d} fill="none" stroke="#8aa596" strokeWidth={1.5} pointerEvents="none" />
                  <text
                    className="edge-label"
                    x={e.x1}
                    y={e.y1 - 7}
                    textAnchor="middle"
                    fill="#3c5446"
                    stroke="#f6f8f5"
                    strokeWidth={5}
                    paintOrder="stroke"
                  >
                    {label}
                  </text>
                </g>
              );
            })}
            {layout.nodes.map((n) => {
              const here = n.data.name === current;
              const kids = n.data.children.length;
              const S = SIZES;
              return (
                <g
                  key={n.data.id}
                  transform={`translate(${n.x},${n.y})`}
                  className={here ? 'node current' : 'node'}
                  data-name={n.data.name}
                >
                  <title>{`${n.data.name} — ${formatParams(n.data.parameterCount)} parameters, ${n.data.status.toLowerCase()}`}</title>
                  <rect
                    width={n.width}
                    height={n.height}
                    rx={6}
                    fill={here ? '#e6f2ea' : '#fff'}
                    stroke={here ? '#0d4a26' : n.data.status === 'READY' ? '#1f6d3d' : '#c9a227'}
                    strokeWidth={here ? 3 : 1}
                  />
                  <a href={href('model', n.data.name)}>
                    <text className="node-name" x={S.pad} y={S.pad + S.font} fontWeight={600}>
                      {n.nameLines.map((line, i) => (
                        // The line's offset in the name: unique, and stable while the name is.
                        <tspan key={n.nameLines.slice(0, i).join('').length} x={S.pad} dy={i === 0 ? 0 : S.line}>
                          {line}
                        </tspan>
                      ))}
                    </text>
                  </a>
                  <text className="node-meta" x={S.pad} y={S.pad + S.font + n.nameLines.length * S.line}>
                    {formatParams(n.data.parameterCount)} · {n.data.status.toLowerCase()}
                    {here ? ' · this model' : ''}
                  </text>
                  {kids > 0 && (
                    // biome-ignore lint/a11y/useSemanticElements: an SVG control; a <button> cannot live inside <svg>.
                    <g
                      role="button"
                      tabIndex={0}
                      aria-label={`${collapsed.has(n.data.id) ? 'expand' : 'collapse'} ${n.data.name}`}
                      aria-expanded={!collapsed.has(n.data.id)}
                      onClick={() => toggle(n.data.id)}
                      onKeyDown={(ev) => {
                        if (ev.key === 'Enter' || ev.key === ' ') {
                          ev.preventDefault();
                          toggle(n.data.id);
                        }
                      }}
                      style={{ cursor: 'pointer' }}
                    >
                      <circle cx={n.width - 18} cy={n.height - 14} r={10} fill="#1f6d3d" />
                      <text x={n.width - 18} y={n.height - 10} textAnchor="middle" fill="#fff" fontSize={12}>
                        {collapsed.has(n.data.id) ? `+${kids}` : '−'}
                      </text>
                    </g>
                  )}
                </g>
              );
            })}
          </svg>
        )}
      </div>
    </div>
  );
}
