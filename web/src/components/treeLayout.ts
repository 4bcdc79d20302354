// Where the model tree's boxes go: top-down, each parent's children in rows under it, as many to a
// row as the width allows and the rest wrapped onto the next rows (a phone gets one per row: the
// children stacked). A vertical trunk under the parent's left edge feeds a bus above each row; a drop
// from the bus enters each child, and the relation is written on that drop. Names are wrapped in full,
// never cut, so the boxes grow in height instead.

export interface LayoutInput {
  id: string;
  name: string;
  children: LayoutInput[];
}

export interface PlacedNode<T extends LayoutInput> {
  data: T;
  x: number;
  y: number;
  width: number;
  height: number;
  nameLines: string[];
  /**
   * The edge from the parent (null for the root): down the trunk from (x0, y0) to the bus at `bus`,
   * along it to x1, down to the child's top at y1; its label sits just above the child.
   */
  edge: { x0: number; y0: number; bus: number; x1: number; y1: number; parent: T } | null;
}

/** Sizes in SVG units (1 unit = 1 CSS px at zoom 100 %): the label font is FONT px at the default zoom. */
export const SIZES = {
  /** A box's width where rows hold several; a phone's boxes take the row less two indents instead. */
  nodeWidth: 236,
  font: 13,
  line: 17,
  pad: 8,
  indent: 28,
  gapX: 14,
  /** Room above a row for the relation label on each drop. */
  labelRoom: 24,
  gapY: 14,
} as const;

/**
 * A name cut into lines of at most `max` units, at the places a repository name reads well (after
 * `/`, `-`, `_`, `.`); a part longer than a line is cut by characters.
 */
export function wrapName(name: string, max: number, measure: (text: string) => number): string[] {
  const parts = name.match(/[^/\-_.]*[/\-_.]?/g)?.filter((p) => p !== '') ?? [name];
  const lines: string[] = [];
  let line = '';
  for (const part of parts) {
    if (measure(line + part) <= max) {
      line += part;
      continue;
    }
    if (line) lines.push(line);
    line = '';
    for (const ch of part) {
      if (line && measure(line + ch) > max) {
        lines.push(line);
        line = '';
      }
      line += ch;
    }
  }
  if (line) lines.push(line);
  return lines;
}

interface Block<T extends LayoutInput> {
  width: number;
  height: number;
  nodes: PlacedNode<T>[];
}

/**
 * Places `root` and its shown descendants within `maxWidth` (wider only where one box and its
 * indents cannot fit), boxes `nodeWidth` wide. `hidden(id)` tells whether a node's children are collapsed.
 */
export function layoutTree<T extends LayoutInput>(
  root: T,
  maxWidth: number,
  measure: (text: string) => number,
  hidden: (id: string) => boolean,
  nodeWidth: number = SIZES.nodeWidth,
): Block<T> {
  const S = { ...SIZES, nodeWidth };
  const block = (n: T, avail: number): Block<T> => {
    const nameLines = wrapName(n.name, S.nodeWidth - 2 * S.pad, measure);
    const height = S.pad * 2 + (nameLines.length + 1) * S.line;
    const self: PlacedNode<T> = { data: n, x: 0, y: 0, width: S.nodeWidth, height, nameLines, edge: null };
    const kids = hidden(n.id) ? [] : (n.children as T[]);
    if (!kids.length) return { width: S.nodeWidth, height, nodes: [self] };
    const room = Math.max(S.nodeWidth, avail - S.indent);
    const blocks = kids.map((k) => block(k, room));
    // Rows filled greedily, left to right.
    const rows: Block<T>[][] = [];
    let width = 0;
    for (const b of blocks) {
      const row = rows.at(-1);
      if (row && width + S.gapX + b.width <= room) {
        row.push(b);
        width += S.gapX + b.width;
      } else {
        rows.push([b]);
        width = b.width;
      }
    }
    const trunkX = S.pad + 6;
    const nodes: PlacedNode<T>[] = [self];
    let top = height + S.gapY + S.labelRoom;
    let blockWidth: number = S.nodeWidth;
    for (const row of rows) {
      let x = S.indent;
      const bus = top - S.labelRoom + 4;
      for (const b of row) {
        const [head, ...rest] = b.nodes;
        const cx = x + S.nodeWidth / 2;
        nodes.push({
          ...head!,
          x: head!.x + x,
          y: head!.y + top,
          edge: { x0: trunkX, y0: height, bus, x1: cx, y1: top, parent: n },
        });
        for (const r of rest)
          nodes.push({
            ...r,
            x: r.x + x,
            y: r.y + top,
            edge: r.edge && {
              ...r.edge,
              x0: r.edge.x0 + x,
              y0: r.edge.y0 + top,
              bus: r.edge.bus + top,
              x1: r.edge.x1 + x,
              y1: r.edge.y1 + top,
            },
          });
        x += b.width + S.gapX;
      }
      blockWidth = Math.max(blockWidth, x - S.gapX);
      top += Math.max(...row.map((b) => b.height)) + S.gapY + S.labelRoom;
    }
    return { width: blockWidth, height: top - S.gapY - S.labelRoom, nodes };
  };
  return block(root, maxWidth);
}

/** The edge's SVG path. */
export function edgePath(e: NonNullable<PlacedNode<LayoutInput>['edge']>): string {
  return `M${e.x0},${e.y0} V${e.bus} H${e.x1} V${e.y1}`;
}
