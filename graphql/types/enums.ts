import { enumType } from 'nexus';
import { RELATIONS } from '../../src/registry/relations.js';

export const ModelKind = enumType({ name: 'ModelKind', members: ['BASE', 'DERIVED'] });

export const ModelStatus = enumType({
  name: 'ModelStatus',
  description: 'QUEUED → PROCESSING → (EVALUATING →) READY, or FAILED.',
  members: ['QUEUED', 'PROCESSING', 'EVALUATING', 'READY', 'FAILED'],
});

export const Relation = enumType({
  name: 'Relation',
  description:
    "How a child was made from its parent. FINETUNED, ADAPTER, MERGED and QUANTIZED are Hugging Face's base_model_relation values.",
  members: RELATIONS,
});

export const JobKind = enumType({ name: 'JobKind', members: ['PRUNE', 'EVALUATE', 'EXPORT_ONNX'] });
export const JobStatus = enumType({ name: 'JobStatus', members: ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] });
export const TokenRole = enumType({
  name: 'TokenRole',
  description: 'READER reads (when reads are not public), MAINTAINER also registers, spawns and edits, ADMIN also manages tokens.',
  members: ['READER', 'MAINTAINER', 'ADMIN'],
});
export const SortDirection = enumType({ name: 'SortDirection', members: ['ASC', 'DESC'] });
export const ModelOrderField = enumType({
  name: 'ModelOrderField',
  members: ['CREATED_AT', 'UPDATED_AT', 'NAME', 'PARAMETER_COUNT', 'BYTE_SIZE'],
});
