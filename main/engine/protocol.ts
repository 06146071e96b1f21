/**
 * Messages between the host (EngineClient) and the engine process. Both sides validate
 * what they receive with these schemas.
 */
import { z } from 'zod'
import { EngineState, FillErrorEvent, FillRequest, FillResult, FillStepEvent, ModelInfo } from '../contract'

/** Host -> engine process. */
export const ToEngine = z.discriminatedUnion('type', [
  /** Load a model directory (replaces the current model only if it loads). */
  z.object({ type: z.literal('load'), dir: z.string().min(1) }),
  /** Run one fill; the process runs one at a time (the client queues). */
  z.object({ type: z.literal('fill'), request: FillRequest }),
  /** Stop the fill with this id at its next step boundary. */
  z.object({ type: z.literal('cancel'), requestId: z.string() }),
  /** Exit cleanly. */
  z.object({ type: z.literal('shutdown') }),
])
export type ToEngine = z.infer<typeof ToEngine>

/** Engine process -> host. */
export const FromEngine = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), state: EngineState }),
  z.object({ type: z.literal('loaded'), dir: z.string(), model: ModelInfo }),
  z.object({ type: z.literal('loadError'), dir: z.string(), message: z.string() }),
  z.object({ type: z.literal('step'), event: FillStepEvent }),
  z.object({ type: z.literal('done'), result: FillResult }),
  z.object({ type: z.literal('error'), error: FillErrorEvent }),
])
export type FromEngine = z.infer<typeof FromEngine>
