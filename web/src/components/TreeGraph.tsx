// The model tree drawn as a graph: d3-hierarchy's tidy tree layout, edges labelled with their
// relation, nodes that expand and collapse (keyboard: Enter/Space), a link to open each model.
import { hierarchy, tree as tidyTree } from 'd3-hierarchy';
import { useMemo, useState } from 'react';
import { formatParams } from '../api';
import { href } from '../router';

export interface TreeNodeData {
  id: string;
  name: string;
  status: string;
  parameterCount: string | null;
  children: TreeNodeData[];
  relation: string | null;
}

const NODE_W = 240;
const NODE_H = 64;

export function TreeGraph({ root }: { root: TreeNodeData }) {
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const layout = useMemo(() => {
    const h = hierarchy(root, (d) => (collapsed.has(d.id) ? [] : d.children));
    return tidyTree<TreeNodeData>().nodeSize([NODE_W, NODE_H * 1.6])(h);
  }, [root, collapsed]);
  const nodes = layout.descendants();
  const xs = nodes.map((n) => n.x);
  const minX = Math.min(...xs) - NODE_W / 2;
  const width = Math.max(...xs) - minX + NODE_W / 2;
  const height = Math.max(...nodes.map((n) => n.y)) + NODE_H + 20;
  const toggle = (id: string) => {
    const next = new Set(collapsed);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setCollapsed(next);
  };
  return (
    <div className="tree-svg">
      <svg width={width} height={height} viewBox={`${minX} -10 ${width} ${height}`} role="img" aria-label={`model tree of ${root.name}`}>
        {layout.links().map((l) => (
          <g key={`${l.source.data.id}-${l.target.data.id}`}>
            <path
              d={`M${l.source.x},${l.source.y + NODE_H / 2} C${l.source.x},${(l.source.y + l.target.y) / 2 + NODE_H / 2} ${l.target.x},${(l.source.y + l.target.y) / 2} ${l.target.x},${l.target.y - 4}`}
              fill="none"
              stroke="#8aa596"
            />
            <text x={(l.source.x + l.target.x) / 2} y={(l.source.y + l.target.y) / 2 + NODE_H / 2 - 2} textAnchor="middle" fill="#5b6f62">
              {l.target.data.relation?.toLowerCase().replace('_', '-')}
            </text>
          </g>
        ))}
        {nodes.map((n) => (
          <g key={n.data.id} transform={`translate(${n.x - NODE_W / 2 + 6},${n.y})`}>
            <rect width={NODE_W - 12} height={NODE_H - 16} rx={6} fill="#fff" stroke={n.data.status === 'READY' ? '#1f6d3d' : '#c9a227'} />
            <a href={href('model', n.data.name)}>
              <text x={8} y={18} fontWeight={600}>
                {n.data.name.length > 34 ? `…${n.data.name.slice(-33)}` : n.data.name}
              </text>
            </a>
            <text x={8} y={36}>
              {formatParams(n.data.parameterCount)} · {n.data.status.toLowerCase()}
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
        ))}
      </svg>
    </div>
  );
}
