/** Sampling settings: strategy, steps, threshold, temperature, seed, candidates; slot length; reveal pace. */
import { DEFAULT_SAMPLING, Strategy, type SamplingSettings } from '../../../main/contract'
import type { Session } from '../app/session'
import { useStore, type RevealPace } from '../app/store'
import { DEFAULT_SLOT_COUNT, MAX_SLOTS } from '../editor/schema'

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
  const set = (patch: Partial<SamplingSettings>) => s.set({ sampling: { ...sampling, ...patch } })
  const num = (v: string, min: number, max: number, int = true): number => {
    const n = int ? Math.round(Number(v)) : Number(v)
    return Number.isFinite(n) ? Math.max(min, Math.min(max, n)) : min
  }
  return (
    <div className="popover settings" data-testid="settings" role="dialog" aria-label="Sampling settings">
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
        <label>
          Steps
          <input data-testid="set-steps" type="number" min={1} max={4096} value={sampling.steps} onChange={(e) => set({ steps: num(e.target.value, 1, 4096) })} />
        </label>
        <label title="Fast-dLLM: reveal every slot at least this confident">
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
        <label title="0 = greedy">
          Temperature
          <input data-testid="set-temperature" type="number" step={0.1} min={0} max={5} value={sampling.temperature} onChange={(e) => set({ temperature: num(e.target.value, 0, 5, false) })} />
        </label>
        <label title="The seed of the latest fill; the same seed reproduces the same fill">
          Seed
          <input data-testid="set-seed" type="number" min={0} value={sampling.seed} onChange={(e) => set({ seed: num(e.target.value, 0, 0xffffffff) })} />
        </label>
      </div>
      <label className="toggle" title="Off: every Regenerate and ↻ draws a fresh seed, so it brings new candidates. On: every fill uses the seed above (reproducible).">
        <input type="checkbox" data-testid="set-keep-seed" checked={keepSeed} onChange={(e) => s.set({ keepSeed: e.target.checked })} />
        Keep seed (reproducible fills)
      </label>
      <div className="row">
        <label>
          Candidates
          <input data-testid="set-candidates" type="number" min={1} max={16} value={sampling.candidates} onChange={(e) => set({ candidates: num(e.target.value, 1, 16) })} />
        </label>
        <label title="Tokens in a new empty slot (Mod-M at a bare cursor)">
          Slot length
          <input data-testid="set-slot-length" type="number" min={1} max={MAX_SLOTS} value={slotLength} onChange={(e) => s.set({ slotLength: num(e.target.value, 1, MAX_SLOTS) })} />
        </label>
      </div>
      <label title="How long each step of the reverse process stays on the board">
        Reveal
        <select data-testid="set-pace" value={pace} onChange={(e) => s.set({ revealPace: e.target.value as RevealPace })}>
          <option value="instant">as fast as the model</option>
          <option value="natural">natural</option>
          <option value="slow">slow: watch every step</option>
        </select>
      </label>
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
