// The Pareto table of issue 30 (part of `npm run bench:recovery`): perplexity against parameters
// for each structured method at about 10, 20 and 30 % fewer parameters — MLP width, depth, query
// heads, query groups, hidden channels — and for Wanda and SparseGPT at 50, 60 and 70 % sparsity,
// uniform and with OWL's layerwise allocation (Yin et al. 2023). Structured sizes are found from
// the plan (config.json alone): each method's setting whose parameter count is nearest the target;
// a method whose granularity cannot come within 5 points of it says so instead of a row. For
// sparsity the parameters are the non-zero ones, counted from the written weights (zeros stored
// dense save nothing until a sparse kernel uses them, Wanda §5; the table says which is which).
// Data-driven criteria throughout (the papers' choices: Minitron's activation criterion for
// width, heads and hidden channels; block influence for depth), calibration on 2,048 tokens of
// kjv-train.txt, perplexity on kjv-val.txt.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { countFromConfig } from '../src/arch/params.js';
import { parseArchitecture } from '../src/arch/registry.js';
import { BadInputError } from '../src/errors.js';
import { perplexity } from '../src/eval/perplexity.js';
import { loadTokenizer } from '../src/eval/tokenizer.js';
import { readCheckpointFolder } from '../src/formats/checkpoint/folder.js';
import { exportOnnx } from '../src/onnx/export.js';
import { LmSession } from '../src/onnx/session.js';
import { measureSparsity } from '../src/pruning/measureSparsity.js';
import { planPrune } from '../src/pruning/plan.js';
import { pruneCheckpoint } from '../src/pruning/pruneCheckpoint.js';
import { parseRecipe, type Recipe } from '../src/pruning/recipe.js';
import { sharedDir } from '../test/fixtures/checkpoints.js';

const threads = availableParallelism();
const calibration = join(sharedDir, 'data', 'kjv-train.txt');
const validation = join(sharedDir, 'data', 'kjv-val.txt');
const STRUCTURED_TARGETS = [0.1, 0.2, 0.3];
const SPARSITIES = [0.5, 0.6, 0.7];
/** How far (in points of the parameter count) a structured setting may land from its target. */
const TOLERANCE = 0.05;

type Raw = Record<string, unknown>;

/** A structured method: its label and the settings it can take, as recipes, for a config. */
interface Structured {
  label: string;
  candidates(config: Raw): Raw[];
}

const range = (n: number, from = 1) => Array.from({ length: Math.max(0, n - from + 1) }, (_, i) => i + from);
const text = (config: Raw) => (config.text_config as Raw | undefined) ?? config;

const STRUCTURED: Structured[] = [
  {
    label: 'MLP width (activation)',
    candidates: () => range(99).map((p) => ({ method: 'mlp-width', criterion: 'activation', pruningFraction: p / 100 })),
  },
  {
    label: 'depth (block influence)',
    candidates: (c) =>
      range(Number(text(c).num_hidden_layers) - 1).map((count) => ({ method: 'depth', criterion: 'block-influence', count })),
  },
  {
    label: 'query heads (activation)',
    candidates: (c) => {
      const heads = Number(text(c).num_attention_heads);
      const groups = Number(text(c).num_key_value_heads ?? heads);
      const perGroup = heads / groups;
      // Removing k heads from every group leaves (perGroup − k) × groups; at least one per group.
      return range(perGroup - 1).map((k) => ({
        method: 'attention',
        unit: 'query-head',
        criterion: 'activation',
        numAttentionHeads: (perGroup - k) * groups,
      }));
    },
  },
  {
    label: 'query groups (activation)',
    candidates: (c) => {
      const heads = Number(text(c).num_attention_heads);
      const groups = Number(text(c).num_key_value_heads ?? heads);
      // One size field only (the recipe takes exactly one): the query heads follow their groups.
      return range(groups - 1).map((g) => ({ method: 'attention', unit: 'query-group', criterion: 'activation', numKeyValueHeads: g }));
    },
  },
  {
    label: 'hidden channels (activation)',
    candidates: () => range(60).map((p) => ({ method: 'hidden', criterion: 'activation', pruningFraction: p / 100 })),
  },
];

/** The recipe as the CLI would build it: with the calibration file when its settings read one. */
function recipeOf(raw: Raw): Recipe {
  try {
    return parseRecipe({ ...raw, calibration });
  } catch (e) {
    if (e instanceof BadInputError && e.details.field === 'recipe.calibration') return parseRecipe(raw);
    throw e;
  }
}

/** Parameters after a recipe, from the plan; null when the recipe is refused (or its method is not built). */
function plannedParameters(config: Raw, raw: Raw): number | null {
  try {
    return planPrune(config, recipeOf(raw)).parameters.after.total;
  } catch {
    return null;
  }
}

/** Perplexity on kjv-val.txt (its first `limit` tokens when given) through the exported graph: bench:recovery's quality rows too. */
export async function ppl(dir: string, tmp: string, limit?: number): Promise<number> {
  const { modelPath } = await exportOnnx(dir, join(tmp, 'onnx'));
  const session = await LmSession.open(modelPath, { threads });
  try {
    const config = (await readCheckpointFolder(dir)).config;
    const [r] = await perplexity(
      { session, tokenizer: loadTokenizer(dir, config), maxPositions: 2048 },
      { data: validation, ...(limit ? { limit } : {}) },
    );
    return r!.value;
  } finally {
    await session.release();
    rmSync(join(tmp, 'onnx'), { recursive: true, force: true });
  }
}

async function run(parent: string, raw: Raw, tmp: string): Promise<string> {
  const out = join(tmp, `child-${Date.now()}`);
  await pruneCheckpoint(parent, out, recipeOf(raw), {
    calibration: { cacheDir: join(tmp, 'cache'), threads, tmp: join(tmp, `cal-${Date.now()}`) },
  });
  return out;
}

interface Row {
  method: string;
  setting: string;
  parameters: number;
  perplexity: number;
  sparse: boolean;
}

const fmt = (n: number) => n.toLocaleString('en-US');
const setting = (raw: Raw) =>
  Object.entries(raw)
    .filter(([k]) => k !== 'method' && k !== 'criterion' && k !== 'unit')
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

/** Prints the Pareto table of one model and which method wins at each size. */
export async function paretoTable(name: string, parent: string, o: { limit?: number; note?: string; only?: string } = {}): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'bonsai-bench-pareto-'));
  try {
    const config = (await readCheckpointFolder(parent)).config;
    const dense = countFromConfig(parseArchitecture(config, join(parent, 'config.json'))).total;
    const densePpl = await ppl(parent, tmp, o.limit);
    const tokens = o.limit ? `the first ${fmt(o.limit)} tokens of kjv-val.txt` : 'kjv-val.txt';
    console.log(`\n${name}: ${fmt(dense)} parameters, perplexity on ${tokens} ${densePpl.toFixed(3)}${o.note ? ` (${o.note})` : ''}`);
    console.log('| method | target | setting | parameters | fewer | perplexity | ratio to dense |');
    console.log('|---|---:|---|---:|---:|---:|---:|');
    const rows: Array<Row & { target: number }> = [];
    const print = (r: Row & { target: number }) =>
      console.log(
        `| ${r.method} | ${(r.target * 100).toFixed(0)} % | ${r.setting} | ${fmt(r.parameters)}${r.sparse ? ' non-zero' : ''} | ${(((dense - r.parameters) / dense) * 100).toFixed(1)} % | ${r.perplexity.toFixed(3)} | ${(r.perplexity / densePpl).toFixed(3)}× |`,
      );
    for (const m of STRUCTURED.filter((x) => !o.only || x.label.includes(o.only))) {
      const planned = m.candidates(config).flatMap((raw) => {
        const p = plannedParameters(config, raw);
        return p === null ? [] : [{ raw, parameters: p }];
      });
      if (planned.length === 0) {
        console.log(`| ${m.label} | — | not available for this model | | | | |`);
        continue;
      }
      for (const target of STRUCTURED_TARGETS) {
        const want = dense * (1 - target);
        const best = planned.reduce((a, b) => (Math.abs(b.parameters - want) < Math.abs(a.parameters - want) ? b : a));
        if (Math.abs(best.parameters - want) / dense > TOLERANCE) {
          const reach = planned.map((p) => ((dense - p.parameters) / dense) * 100);
          console.log(
            `| ${m.label} | ${(target * 100).toFixed(0)} % | no setting within ${TOLERANCE * 100} points (its steps: ${reach
              .slice(0, 6)
              .map((r) => `${r.toFixed(1)} %`)
              .join(', ')}${reach.length > 6 ? ', …' : ''}) | | | | |`,
          );
          continue;
        }
        const out = await run(parent, best.raw, tmp);
        const row = {
          method: m.label,
          target,
          setting: setting(best.raw),
          parameters: best.parameters,
          perplexity: await ppl(out, tmp, o.limit),
          sparse: false,
        };
        rmSync(out, { recursive: true, force: true });
        rows.push(row);
        print(row);
      }
    }
    for (const criterion of o.only ? [] : ['wanda', 'sparsegpt']) {
      for (const allocation of ['uniform', 'owl']) {
        for (const sparsity of SPARSITIES) {
          const raw: Raw = { method: 'sparsity', criterion, sparsity, ...(allocation === 'owl' ? { allocation } : {}) };
          const label = `${criterion === 'wanda' ? 'Wanda' : 'SparseGPT'}${allocation === 'owl' ? ' + OWL' : ''}`;
          if (plannedParameters(config, raw) === null) {
            console.log(`| ${label} | ${sparsity * 100} % sparsity | not available | | | | |`);
            continue;
          }
          const out = await run(parent, raw, tmp);
          const measured = await measureSparsity(out);
          const row = {
            method: label,
            target: sparsity,
            setting: `sparsity ${sparsity}`,
            parameters: dense - (measured.targetParameters - measured.nonZero),
            perplexity: await ppl(out, tmp, o.limit),
            sparse: true,
          };
          rmSync(out, { recursive: true, force: true });
          rows.push(row);
          print(row);
        }
      }
    }
    // The winner at each size: structured methods compete on stored parameters, sparsity among its own.
    console.log('\n| size | best structured method | perplexity | best sparsity | perplexity |');
    console.log('|---|---|---:|---|---:|');
    const best = (rs: Row[]) => rs.reduce<Row | undefined>((a, b) => (a === undefined || b.perplexity < a.perplexity ? b : a), undefined);
    for (const [i, target] of STRUCTURED_TARGETS.entries()) {
      const s = best(rows.filter((r) => !r.sparse && r.target === target));
      const u = best(rows.filter((r) => r.sparse && r.target === SPARSITIES[i]));
      console.log(
        `| ${(target * 100).toFixed(0)} % fewer / ${(SPARSITIES[i]! * 100).toFixed(0)} % sparse | ${s ? s.method : '—'} | ${s ? s.perplexity.toFixed(3) : ''} | ${u ? u.method : '—'} | ${u ? u.perplexity.toFixed(3) : ''} |`,
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
