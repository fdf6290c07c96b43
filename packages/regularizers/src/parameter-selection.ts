import type { MultimodalModel, Parameter } from '@mmfuse/core';
import { compileNamePattern, NamePattern } from './name-pattern';

// Which parameters a regularizer acts on: sub-models by name ("fusion", "encoder:*"), then their
// parameters by full name ("fusion/projection*/kernel", "**/kernel").
export interface ParameterSelection {
  readonly subModels: NamePattern;
  readonly parameters: NamePattern;
}

/**
 * Selects parameters once per model (the set is fixed for a model's lifetime) and remembers the
 * answer, so the per-step cost is a lookup.
 */
export class ParameterSelector {
  private readonly matchesSubModel: (name: string) => boolean;
  private readonly matchesParameter: (name: string) => boolean;
  private readonly cache = new WeakMap<MultimodalModel, Parameter[]>();

  constructor(
    selection: ParameterSelection,
    private readonly accept: (parameter: Parameter) => boolean = () => true,
  ) {
    this.matchesSubModel = compileNamePattern(selection.subModels);
    this.matchesParameter = compileNamePattern(selection.parameters);
  }

  select(model: MultimodalModel): Parameter[] {
    let selected = this.cache.get(model);
    if (!selected) {
      selected = model
        .subModels()
        .filter((subModel) => this.matchesSubModel(subModel.name))
        .flatMap((subModel) => subModel.parameters)
        .filter((parameter) => this.matchesParameter(parameter.name) && this.accept(parameter));
      this.cache.set(model, selected);
    }
    return selected;
  }
}
