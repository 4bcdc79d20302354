export * from './types/ApiToken.js';
export * from './types/AuthorCard.js';
export * from './types/Card.js';
export * from './types/DataFile.js';
export * from './types/Evaluation.js';
export * from './types/enums.js';
export * from './types/Health.js';
export * from './types/Job.js';
export * from './types/Lineage.js';
export * from './types/Model.js';
export * from './types/ModelMutations.js';
export * from './types/Models.js';
export * from './types/Node.js';
export * from './types/Onnx.js';
export * from './types/Plan.js';
export {
  EvaluationTaskInput,
  ExternalRecipe,
  ExternalRecipeInput,
  generatedRecipeTypes,
  PruningRecipeInput,
  RecipeUnion,
} from './types/Recipe.js';
export * from './types/Revision.js';
export * from './types/Storage.js';
export * from './types/scalars.js';
export * from './types/Tensor.js';
