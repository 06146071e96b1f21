/**
 * Fill settings in a writer's words: Safe ↔ Wild (temperature), how many candidates, new gap
 * size in words, reveal pace, keep seed; strategy, steps, threshold, seed, block length and
 * "Faster, approximate" (the DualCache path, off by default) under Advanced. Says how much text around a span the model sees.
 */
import { DEFAULT_SAMPLING, Strategy, type SamplingSettings } from '../../../main/contract'
import type { Session } from '../app/session'
import { useStore, type RevealPace } from '../app/store'
import { DEFAULT_SLOT_COUNT, MAX_SLOTS } from '../editor/schema'
import { tokensToWords, wordsToTokens } from '../editor/span-length'
import { useCallback, useMemo, useRef } from 'react'
import { useContextNote } from './LengthControl'
import { useDismiss } from './use-dismiss'
import { MOD } from './Toolbar'
import { YourTextSettings } from './YourText'

/** The Safe ↔ Wild slider's range: temperature 0 (always the likeliest words) to 1.5. */
const WILD_MAX = 1.5

const STRATEGY_LABELS: Record<Strategy, string> = {
  threshold: 'Threshold (Fast-dLLM): parallel',
  low_confidence: 'Low confidence (LLaDA)',
  random: 'Random (LLaDA)',
  maskgit_plus: 'Top-1 probability (Dream)',
  topk_margin: 'Top-2 margin (Dream)',
  entropy: 'Entropy (Dream)',
  origin: 'Random order (Dream origin)',
}

export function SettingsPopover({ session }: { session: Session }) {
  const s = session.store
  const sampling = useStore(s, (x) => x.sampling)
  const slotLength = useStore(s, (x) => x.slotLength)
  const pace = useStore(s, (x) => x.revealPace)
  const keepSeed = useStore(s, (x) => x.keepSeed)
  const advancedOpen = useStore(s, (x) => x.advancedOpen ?? false)
  const approximate = useStore(s, (x) => x.engine.model?.approximate)
  const note = useContextNote(session)
  const ref = useRef<HTMLDivElement>(null)
  const close = useCallback(() => {
    s.set({ settingsOpen: false })
    session.editorView()?.focus()
  }, [s, session])
  // Esc or a press outside closes it (a press on the Settings button toggles it as before).
  useDismiss(useMemo(() => ({ get current() { return ref.current?.closest('.popover-anchor') as HTMLElement | null } }), []), close)
  const set = (patch: Partial<SamplingSettings>) => s.set({ sampling: { ...sampling, ...patch } })
  const num = (v: string, min: number, max: number, int = true): number => {
    const n = int ? Math.round(Number(v)) : Number(v)
    return Number.isFinite(n) ? Math.max(min, Math.min(max, n)) : min
  }
  return (
    <div className="popover settings" data-testid="settings" role="dialog" aria-label="Fill settings" ref={ref}>
      <label className="wild" title="Safe: the likeliest words, the same fill every time (temperature 0). Wild: more surprising words, more varied candidates.">
        <span className="wild-row">
          <span>Safe</span>
          <input
            data-testid="set-temperature"
            type="range"
            min={0}
            max={WILD_MAX}
            step={0.05}
            value={Math.min(WILD_MAX, sampling.temperature)}
            aria-label="Safe to wild"
            aria-valuetext={`temperature ${sampling.temperature}`}
            onChange={(e) => set({ temperature: num(e.target.value, 0, WILD_MAX, false) })}
          />
          <span>Wild</span>
        </span>
      </label>
      <div className="row">
        <label title="Alternatives written for each span in one fill">
          Candidates
          <input data-testid="set-candidates" type="number" min={1} max={16} value={sampling.candidates} onChange={(e) => set({ candidates: num(e.target.value, 1, 16) })} />
        </label>
        <label title={`Words in a new empty gap (${MOD}M at a bare cursor)`}>
          New gap (words)
          <input
            data-testid="set-slot-length"
            type="number"
            min={1}
            max={tokensToWords(MAX_SLOTS)}
            value={tokensToWords(slotLength)}
            onChange={(e) => s.set({ slotLength: Math.min(MAX_SLOTS, wordsToTokens(num(e.target.value, 1, tokensToWords(MAX_SLOTS)))) })}
          />
        </label>
      </div>
      <label className="toggle" title="Off: every Regenerate and ↻ draws a fresh seed, so it brings new candidates. On: every fill uses the seed under Advanced (reproducible).">
        <input type="checkbox" data-testid="set-keep-seed" checked={keepSeed} onChange={(e) => s.set({ keepSeed: e.target.checked })} />
        Keep seed (the same fill again)
      </label>
      <label title="How long each step of the reverse process stays on the board">
        Reveal
        <select data-testid="set-pace" value={pace} onChange={(e) => s.set({ revealPace: e.target.value as RevealPace })}>
          <option value="instant">as fast as the model</option>
          <option value="natural">natural</option>
          <option value="slow">slow: watch every step</option>
        </select>
      </label>
      {note && (
        <p className="settings-note" data-testid="context-note">
          {note}
        </p>
      )}
      <YourTextSettings session={session} />
      <details className="advanced" open={advancedOpen} onToggle={(e) => s.set({ advancedOpen: (e.currentTarget as HTMLDetailsElement).open })}>
        <summary data-testid="set-advanced">Advanced</summary>
        <label>
          Strategy
          <select data-testid="set-strategy" value={sampling.strategy} onChange={(e) => set({ strategy: e.target.value as Strategy })}>
            {Strategy.options.map((o) => (
              <option key={o} value={o}>
                {STRATEGY_LABELS[o]}
              </option>
            ))}
          </select>
        </label>
        <div className="row">
          <label title={sampling.strategy === 'threshold' ? 'Threshold decoding takes as many steps as it needs (at most one per word piece)' : 'Reverse steps per fill (never more than word pieces to reveal)'}>
            Steps
            <input
              data-testid="set-steps"
              type="number"
              min={1}
              max={4096}
              value={sampling.steps}
              disabled={sampling.strategy === 'threshold'}
              onChange={(e) => set({ steps: num(e.target.value, 1, 4096) })}
            />
          </label>
          <label title="Fast-dLLM: reveal every word piece at least this confident">
            Threshold
            <input
              data-testid="set-threshold"
              type="number"
              step={0.05}
              min={0}
              max={1}
              value={sampling.threshold}
              disabled={sampling.strategy !== 'threshold'}
              onChange={(e) => set({ threshold: num(e.target.value, 0, 1, false) })}
            />
          </label>
        </div>
        <div className="row">
          <label title="The seed of the latest fill; the same seed reproduces the same fill">
            Seed
            <input data-testid="set-seed" type="number" min={0} value={sampling.seed} onChange={(e) => set({ seed: num(e.target.value, 0, 0xffffffff) })} />
          </label>
          <label title="Semi-autoregressive blocks: fill this many word pieces at a time, left to right (0 = all at once)">
            Block length
            <input data-testid="set-block-length" type="number" min={0} max={4096} value={sampling.blockLength} onChange={(e) => set({ blockLength: num(e.target.value, 0, 4096) })} />
          </label>
        </div>
        <label
          className="toggle"
          title={
            approximate
              ? `Reuses the computation of the text around a span between steps (DualCache): fewer computations per step, and fills can differ from the exact ones. ${approximate.cost ?? 'Its cost in accuracy has not been measured for this model.'}`
              : 'This model has no approximate path: every fill is exact.'
          }
        >
          <input
            data-testid="set-approximate"
            type="checkbox"
            disabled={!approximate}
            checked={!!approximate && !!sampling.approximate}
            onChange={(e) => set({ approximate: e.target.checked })}
          />
          Faster, approximate
        </label>
        {approximate && sampling.approximate && (
          <p className="settings-note" data-testid="approximate-note">
            {approximate.cost ?? 'Its cost in accuracy has not been measured for this model.'}
          </p>
        )}
      </details>
      <div className="popover-foot">
        <button className="tool" data-testid="set-defaults" onClick={() => s.set({ sampling: { ...DEFAULT_SAMPLING }, slotLength: DEFAULT_SLOT_COUNT })}>
          Defaults
        </button>
        <button
          className="tool primary"
          data-testid="set-done"
          onClick={() => {
            s.set({ settingsOpen: false })
            session.editorView()?.focus()
          }}
        >
          Done
        </button>
      </div>
    </div>
  )
}
