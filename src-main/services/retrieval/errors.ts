/** Errors of the retrieval index. Each names the input it refuses. */
export class RetrievalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RetrievalError";
  }
}

/** A vector (to add or to query with) was made by another embedding model than the one the index holds. */
export class ModelMismatchError extends RetrievalError {
  constructor(
    readonly indexModelId: string,
    readonly givenModelId: string,
    action: string,
  ) {
    super(
      `cannot ${action}: the retrieval index holds vectors of model "${indexModelId}", the given vectors are from model "${givenModelId}"; ` +
        "vectors of two models cannot be compared: re-seed the index for the new model (resetForModel)",
    );
    this.name = "ModelMismatchError";
  }
}
