/**
 * The status-bar estimate of a fill's duration: before a fill, "Fill ≈ 7.2 s (18 steps ×
 * 0.40 s)" for the masked spans in the document; during one, the time left. The time per
 * step is measured on previous fills of the same model (kept in localStorage across sessions).
 */
import { useEffect, useMemo, useRef, useState } from 'react'
import { estimateFill, formatSeconds, plannedFillSteps, StepTimes } from '../app/fill-estimate'
import type { Session } from '../app/session'
import { useStore } from '../app/store'
import { estimateSlots, findMaskedSpans } from '../editor/spans'

/** How often the masked spans are re-read from the document (cheap: one pass over the doc). */
const RECOUNT_MS = 700

export function FillEstimate({ session }: { session: Session }) {
  const s = session.store
  const model = useStore(s, (x) => x.engine.model)
  const sampling = useStore(s, (x) => x.sampling)
  const fill = useStore(s, (x) => x.fill)
  const times = useRef<StepTimes | null>(null)
  times.current ??= new StepTimes(8, typeof localStorage === 'undefined' ? null : localStorage)
  const [measured, setMeasured] = useState(0)
  const [budgets, setBudgets] = useState<number[]>([])

  useEffect(
    () =>
      session.api.on('fill:done', (result) => {
        times.current!.record(result)
        setMeasured((n) => n + 1)
      }),
    [session],
  )
  useEffect(() => {
    const recount = () => {
      const doc = session.editorView()?.state.doc
      const spans = doc ? findMaskedSpans(doc) : []
      const next = spans.map((sp) => sp.slots ?? estimateSlots(sp.original))
      setBudgets((prev) => (prev.length === next.length && prev.every((b, i) => b === next[i]) ? prev : next))
    }
    recount()
    const t = setInterval(recount, RECOUNT_MS)
    return () => clearInterval(t)
  }, [session])

  // `measured` changes after each recorded fill, so the figure is read again then.
  const msPerStep = useMemo(() => (model ? times.current!.msPerStep(model.hash, sampling.candidates) : null), [model, sampling.candidates, measured])
  if (!model) return null
  let text: string
  let title: string
  if (fill) {
    if (msPerStep === null) return null
    const left = Math.max(0, fill.totalSteps - fill.step) * msPerStep
    text = `≈ ${formatSeconds(left)} left`
    title = `${fill.totalSteps - fill.step} steps to go at ${formatSeconds(msPerStep)} per step (measured on your last fills with ${model.name})`
  } else {
    if (budgets.length === 0) return null
    const est = estimateFill(plannedFillSteps(budgets, sampling), msPerStep)
    text = est.ms === null ? `Fill: ${est.steps} steps` : `Fill ≈ ${formatSeconds(est.ms)}`
    title =
      est.ms === null
        ? `${est.steps} steps planned; the time per step of ${model.name} is measured on the first fill`
        : `${est.steps} steps planned × ${formatSeconds(est.msPerStep!)} per step (measured on your last fills with ${model.name}); threshold decoding may finish sooner`
  }
  return (
    <>
      <span className="status-sep">·</span>
      <span className="fill-estimate" data-testid="fill-estimate" title={title}>
        {text}
      </span>
    </>
  )
}
