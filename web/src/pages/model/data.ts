// The model page's data: one query for the header and every tab but the card, the hardware and the jobs.

export interface Evaluation {
  task: string;
  metric: string;
  value: number;
  dataset: string | null;
  settings: Record<string, unknown>;
}

export interface ModelData {
  name: string;
  status: string;
  description: string | null;
  tags: string[];
  license: string | null;
  architecture: string | null;
  parameterCount: string | null;
  byteSize: string | null;
  dtype: string | null;
  files: Array<{ path: string; sha256: string; size: string }>;
  revision: string | null;
  revisions: Array<{ sha: string; message: string; source: string | null; createdAt: string }>;
  onnx: { files: Array<{ path: string; size: string; url: string }> } | null;
  evaluations: Evaluation[];
  parents: Array<{
    relation: string;
    method: string | null;
    parent: { name: string; files: Array<{ path: string; sha256: string }>; evaluations: Evaluation[] };
  }>;
  children: Array<{ relation: string; method: string | null; child: { name: string; parameterCount: string | null; status: string } }>;
}

export const MODEL_QUERY = `query($n: String!) { model(name: $n) {
  name status description tags license architecture parameterCount byteSize dtype
  files { path sha256 size }
  revision revisions { sha message source createdAt }
  onnx { files { path size url } }
  evaluations { task metric value dataset settings }
  parents { relation method parent { name files { path sha256 } evaluations { task metric value dataset settings } } }
  children { relation method child { name parameterCount status } }
} }`;
