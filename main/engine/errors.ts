/**
 * Typed errors of the engine. Each one says what was wrong and what to do, so the host
 * can show `message` to the writer as is.
 */

/** A model directory that cannot be used: names the file, the problem and the fix. */
export class ModelDirError extends Error {
  override name = 'ModelDirError'
  constructor(
    /** Path of the offending file (or the directory itself). */
    readonly file: string,
    /** What is wrong with it. */
    readonly problem: string,
    /** What the writer or model author can do about it. */
    readonly hint: string,
  ) {
    super(`${file}: ${problem}. ${hint}`)
  }
}

/** A fill request the canvas cannot be built from (overlapping spans, a span too long...). */
export class CanvasError extends Error {
  override name = 'CanvasError'
}

/** A request arrived that the engine cannot serve (no model loaded, cancelled...). */
export class EngineError extends Error {
  override name = 'EngineError'
}

/** Thrown inside a fill when its request was cancelled; the loop stops at a step boundary. */
export class FillCancelled extends Error {
  override name = 'FillCancelled'
  constructor(readonly requestId: string) {
    super(`fill ${requestId} was cancelled`)
  }
}
