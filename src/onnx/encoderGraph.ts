// The ONNX graph of a BERT-style encoder (bert, xlm-roberta), op by op after transformers'
// modeling_bert.py: word + position + token-type embeddings, LayerNorm, post-LN blocks with
// bidirectional attention under the padding mask and an erf GELU MLP; then mean and CLS pooling
// (sentence-transformers' Pooling module) and the masked-LM head when the checkpoint has one.
//
// Inputs:  input_ids, attention_mask int64 [batch, seq]
// Outputs: last_hidden_state [batch, seq, hidden]; pooled_mean, pooled_cls [batch, hidden];
//          mlm_logits [batch, seq, vocab] (with a masked-LM head)
import { encoderNames } from '../arch/encoder.js';
import type { ArchConfig } from '../arch/types.js';
import { BadInputError } from '../errors.js';
import { FLOAT, type GraphBuilder, INT64, valueInfo } from './graph.js';

type Weight = (name: string) => Promise<string>;

export const ENCODER_INPUTS = [valueInfo('input_ids', INT64, ['batch', 'seq']), valueInfo('attention_mask', INT64, ['batch', 'seq'])];

/** transformers' ACT2FN names an encoder may use: "gelu" is erf-exact, the others the tanh form. */
const GELU: Record<string, 'none' | 'tanh'> = { gelu: 'none', gelu_new: 'tanh', gelu_pytorch_tanh: 'tanh', gelu_fast: 'tanh' };

export async function buildEncoderGraph(g: GraphBuilder, a: ArchConfig, W: Weight) {
  const e = a.encoder!;
  const n = encoderNames(a);
  const H = a.hiddenSize;
  const heads = a.numHeads;
  const hd = a.headDim;
  const approximate = GELU[a.hiddenAct];
  if (!approximate)
    throw new BadInputError('hidden_act', `"${a.hiddenAct}" is not supported by the encoder graph (${Object.keys(GELU).join(', ')})`);
  const layerNorm = async (x: string, w: { weight: string; bias: string }) =>
    g.op1('LayerNormalization', [x, await W(w.weight), await W(w.bias)], { axis: -1, epsilon: e.layerNormEps });
  const linear = async (x: string, name: string) => g.op1('Gemm', [x, await W(`${name}.weight`), await W(`${name}.bias`)], { transB: 1 });

  const shape = g.op1('Shape', ['input_ids']);
  const seq = g.op1('Gather', [shape, g.ints([1], [])], { axis: 0 });
  const batchSeq = g.op1('Slice', [shape, g.ints([0]), g.ints([2]), g.ints([0])]);

  // Positions: BERT counts 0..seq-1; XLM-R counts non-padding tokens from padding_idx + 1 and gives
  // padding padding_idx (transformers' create_position_ids_from_input_ids).
  let positions: string;
  if (a.family === 'xlm-roberta') {
    const notPad = g.op1('Cast', [g.op1('Not', [g.op1('Equal', ['input_ids', g.ints([e.padTokenId], [])])])], { to: INT64 });
    const counted = g.op1('Mul', [g.op1('CumSum', [notPad, g.ints([1], [])]), notPad]);
    positions = g.op1('Add', [counted, g.ints([e.padTokenId], [])]);
  } else {
    positions = g.op1('Range', [g.ints([0], []), seq, g.ints([1], [])]);
  }
  const words = g.op1('Gather', [await W(n.wordEmbeddings), 'input_ids'], { axis: 0 });
  const pos = g.op1('Gather', [await W(n.positionEmbeddings), positions], { axis: 0 });
  // token_type_ids are all 0 (a single segment), as the tokenizers produce for one text.
  const type = g.op1('Gather', [await W(n.tokenTypeEmbeddings), g.ints([0], [])], { axis: 0 });
  const summed = g.op1('Add', [g.op1('Add', [words, pos]), type]);
  let x = g.op1('Reshape', [await layerNorm(summed, n.embeddingNorm), g.ints([-1, H])]);

  // Additive padding mask [batch, 1, 1, seq]: 0 where attended, the float minimum where padded
  // (transformers' _prepare_4d_attention_mask uses torch.finfo(dtype).min).
  const maskF = g.op1('Cast', ['attention_mask'], { to: FLOAT });
  const one = g.floats([1], []);
  const additive = g.op1('Mul', [g.op1('Sub', [one, maskF]), g.floats([-3.4028234663852886e38], [])]);
  const mask4 = g.op1('Unsqueeze', [additive, g.ints([1, 2])]);
  const toHeads = g.op1('Concat', [batchSeq, g.ints([heads, hd])], { axis: 0 });
  const scale = g.floats([1 / Math.sqrt(hd)], []);

  for (let l = 0; l < a.numLayers; l++) {
    const t = n.layer(l);
    const q = g.op1('Transpose', [g.op1('Reshape', [await linear(x, t.query), toHeads])], { perm: [0, 2, 1, 3] });
    const k = g.op1('Transpose', [g.op1('Reshape', [await linear(x, t.key), toHeads])], { perm: [0, 2, 3, 1] });
    const v = g.op1('Transpose', [g.op1('Reshape', [await linear(x, t.value), toHeads])], { perm: [0, 2, 1, 3] });
    const scores = g.op1('Add', [g.op1('Mul', [g.op1('MatMul', [q, k]), scale]), mask4]);
    const ctx = g.op1('MatMul', [g.op1('Softmax', [scores], { axis: -1 }), v]);
    const merged = g.op1('Reshape', [g.op1('Transpose', [ctx], { perm: [0, 2, 1, 3] }), g.ints([-1, H])]);
    x = await layerNorm(g.op1('Add', [await linear(merged, t.attentionOut), x]), t.attentionNorm);
    const inner = g.op1('Gelu', [await linear(x, t.intermediate)], { approximate });
    x = await layerNorm(g.op1('Add', [await linear(inner, t.output), x]), t.outputNorm);
  }

  const hidden = g.named('last_hidden_state', 'Reshape', [x, g.op1('Concat', [batchSeq, g.ints([H])], { axis: 0 })]);
  // Mean over attended positions, the count clamped at 1e-9 (sentence-transformers' Pooling).
  const maskCol = g.op1('Unsqueeze', [maskF, g.ints([-1])]);
  const total = g.op1('ReduceSum', [g.op1('Mul', [hidden, maskCol]), g.ints([1])], { keepdims: 0 });
  const count = g.op1('Max', [g.op1('ReduceSum', [maskCol, g.ints([1])], { keepdims: 0 }), g.floats([1e-9], [])]);
  g.named('pooled_mean', 'Div', [total, count]);
  g.named('pooled_cls', 'Gather', [hidden, g.ints([0], [])], { axis: 1 });
  const outputs = [
    valueInfo('last_hidden_state', FLOAT, ['batch', 'seq', H]),
    valueInfo('pooled_mean', FLOAT, ['batch', H]),
    valueInfo('pooled_cls', FLOAT, ['batch', H]),
  ];
  if (e.mlmHead) {
    // BertLMPredictionHead / XLMRobertaLMHead: dense, GELU, LayerNorm, then the vocabulary projection.
    // BERT's transform uses hidden_act; XLMRobertaLMHead always the erf GELU.
    const headApproximate = a.family === 'xlm-roberta' ? 'none' : approximate;
    const t = g.op1('Gelu', [await linear(x, n.head.dense)], { approximate: headApproximate });
    const normed = await layerNorm(t, n.head.norm);
    const projection = e.decoderStored ? n.head.decoder : n.wordEmbeddings;
    const logits = g.op1('Gemm', [normed, await W(projection), await W(n.head.bias)], { transB: 1 });
    g.named('mlm_logits', 'Reshape', [logits, g.op1('Concat', [batchSeq, g.ints([a.vocabSize])], { axis: 0 })]);
    outputs.push(valueInfo('mlm_logits', FLOAT, ['batch', 'seq', a.vocabSize]));
  }
  return outputs;
}
