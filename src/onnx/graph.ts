// A small builder over onnx-proto: nodes with generated output names, constants, and weight
// initializers whose bytes live in an external data file (so models over 2 GB load: protobuf
// cannot hold more than 2 GB in one message).
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export { onnx };

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;
export const INT32 = onnx.TensorProto.DataType.INT32;
/** onnxruntime's contrib operator domain (docs/ContribOperators.md). */
export const MS = 'com.microsoft';

/** A number is an INT attribute when integral; `{ float }` forces FLOAT (e.g. a soft-cap of 50). */
export type Attr = number | number[] | string | Float32Array | { float: number };

export interface ExternalWeight {
  name: string;
  dims: number[];
  offset: number;
  length: number;
}

export class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private counter = 0;

  constructor(readonly dataFile: string) {}

  /** One node; returns its output names (one unless `outputs` > 1). */
  op(type: string, inputs: string[], attrs: Record<string, Attr> = {}, outputs = 1, domain = ''): string[] {
    const names = Array.from({ length: outputs }, () => `${type.toLowerCase()}_${this.counter++}`);
    this.nodes.push({
      opType: type,
      domain,
      input: inputs,
      output: names,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return names;
  }

  op1(type: string, inputs: string[], attrs: Record<string, Attr> = {}): string {
    return this.op(type, inputs, attrs)[0]!;
  }

  /** Renames the last node's output (for graph outputs with stable names). */
  named(name: string, type: string, inputs: string[], attrs: Record<string, Attr> = {}): string {
    this.nodes.push({ opType: type, input: inputs, output: [name], attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return name;
  }

  floats(values: number[] | Float32Array, dims: number[] = [values.length]): string {
    const name = `const_f_${this.counter++}`;
    this.initializers.push({ name, dataType: FLOAT, dims, floatData: Array.from(values) });
    return name;
  }

  ints(values: number[], dims: number[] = [values.length]): string {
    const name = `const_i_${this.counter++}`;
    this.initializers.push({ name, dataType: INT64, dims, int64Data: values });
    return name;
  }

  int32s(values: number[], dims: number[] = [values.length]): string {
    const name = `const_i32_${this.counter++}`;
    this.initializers.push({ name, dataType: INT32, dims, int32Data: values });
    return name;
  }

  external(w: ExternalWeight): string {
    this.initializers.push({
      name: w.name,
      dataType: FLOAT,
      dims: w.dims,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: this.dataFile },
        { key: 'offset', value: String(w.offset) },
        { key: 'length', value: String(w.length) },
      ],
    });
    return w.name;
  }
}

function attribute(name: string, v: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (v instanceof Float32Array) return { name, type: T.FLOATS, floats: Array.from(v) };
  if (typeof v === 'object') return { name, type: T.FLOAT, f: v.float };
  return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
}

export function valueInfo(name: string, elemType: number, dims: Array<number | string>): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}
