// What a card is rendered from: plain data, gathered by the registry from the database or by the
// CLI from a checkpoint folder (its config.json and bonsai_recipe.json).
import type { HeldOutReport } from '../pruning/heldOut.js';

export interface CardEvaluation {
  task: string;
  metric: string;
  value: number;
  stderr?: number | null;
  dataset?: string | null;
  settings: Record<string, unknown>;
}

export interface CardParent {
  name: string;
  /** A local folder's parent whose registry name nobody gave (`bonsai card DIR` without --base-model): no link, no base_model. */
  unnamed?: boolean;
  /** Bonsai's relation: WIDTH_PRUNED, DEPTH_PRUNED, VOCAB_TRIMMED, SPARSIFIED, FINETUNED, QUANTIZED, MERGED, ADAPTER, DISTILLED. */
  relation: string;
  recipe: Record<string, unknown>;
  /** What the run measured; sparsity: the non-zero values left in the projection matrices. */
  result?: { nonZero?: number; targetParameters?: number; reconstruction?: HeldOutReport } | null;
  config?: Record<string, unknown> | null;
  parameterCount?: number | null;
  evaluations?: CardEvaluation[];
  /** Whether the child's tokenizer.json is the parent's (per-token metrics compare only then); unknown counts as the same. */
  sameTokenizer?: boolean;
}

export interface CardInput {
  name: string;
  license?: string | null;
  description?: string | null;
  tags?: readonly string[];
  config: Record<string, unknown>;
  /** Summed over the stored tensors. */
  parameterCount: number;
  dtype?: string | null;
  parents: CardParent[];
  evaluations: CardEvaluation[];
  /** From this model up to its root along first parents, with the relation into each. */
  pathToRoot?: Array<{ name: string; relation: string | null }>;
  childCounts?: Array<{ relation: string; count: number }>;
  /** Context and batch the hardware table is computed for. */
  contextLength?: number;
  batchSize?: number;
  /** "PARENT" in the reproduce command (a folder or a name). */
  parentLocation?: string;
}

export interface Card {
  markdown: string;
  /** The YAML front matter as an object. */
  metadata: Record<string, unknown>;
}
