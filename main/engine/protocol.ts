/**
 * Messages between the host (EngineClient) and the engine process. Both sides validate
 * what they receive with these schemas.
 */
import { z } from 'zod'
import { AlternativesRequest, AlternativesResult, EngineState, FillErrorEvent, FillRequest, FillResult, FillStepEvent, ManuscriptStatus, ModelInfo } from '../contract'

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
  /**
   * The manuscript expert's text (issue 21): set or replace document `id` (text), or remove it
   * (null). Applied between fills, in order; a running fill keeps the counts it started with.
   */
  z.object({ type: z.literal('manuscript:set'), id: z.string().min(1).max(4096), text: z.string().max(20_000_000).nullable() }),
  /** Forget every manuscript document ("Forget my text"). */
  z.object({ type: z.literal('manuscript:clear') }),
  /** "Other words" for one word in context; queued like a fill, answered by 'alternatives' or 'error'. */
  z.object({ type: z.literal('alternatives'), request: AlternativesRequest }),
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
  /** The manuscript expert after a manuscript:set / clear (or a model load re-tokenized it). */
  z.object({ type: z.literal('manuscript'), status: ManuscriptStatus }),
  z.object({ type: z.literal('alternatives'), result: AlternativesResult }),
])
export type FromEngine = z.infer<typeof FromEngine>
