/**
 * App state outside the document: host, engine, file, settings, panels and dialogs. A tiny
 * observable store; React reads it through `useStore` (useSyncExternalStore).
 */
import { useSyncExternalStore } from 'react'
import { DEFAULT_SAMPLING, type EngineState, type HostInfo, type LengthTarget, type RecoveryEntry, type SamplingSettings } from '../../../main/contract'
import { DEFAULT_SLOT_COUNT } from '../editor/schema'

/** How fast the board plays the reverse process: the least time each step stays on screen. */
export type RevealPace = 'instant' | 'natural' | 'slow'
export const REVEAL_PACE_MS: Record<RevealPace, number> = { instant: 0, natural: 45, slow: 220 }

export interface Toast {
  id: number
  kind: 'info' | 'error'
  text: string
  /** A toast with a key replaces the one with the same key and can be dismissed by it. */
  key?: string
}

export type Dialog =
  | { kind: 'open' }
  | { kind: 'saveAs'; then?: 'close' | 'new' | 'open' }
  | { kind: 'unsaved'; reason: 'close' | 'new' | 'open' }
  | { kind: 'recovery'; entries: RecoveryEntry[] }
  | { kind: 'confirmClearPrefs' }
  | null

export interface FillProgress {
  requestId: string
  step: number
  totalSteps: number
  /** Spans: revealed / total slots over every candidate. */
  revealed: number
  total: number
}

export interface AppState {
  host: HostInfo | null
  engine: EngineState
  path: string | null
  documentId: string
  title: string
  dirty: boolean
  sampling: SamplingSettings
  /** Keep the seed in the settings for every fill (reproducible); otherwise each fill draws a fresh one. */
  keepSeed: boolean
  slotLength: number
  revealPace: RevealPace
  fill: FillProgress | null
  /** Live spans with candidates on offer. */
  offers: number
  /** Mark state at the selection, for the toolbar. */
  selection: {
    masked: boolean
    locked: boolean
    spanSlots: number | null
    spanExplicit: boolean
    empty: boolean
    /** Words of the span at the caret (null: not in a span), and its length target in words. */
    spanWords?: number | null
    spanLength?: LengthTarget | null
  }
  settingsOpen: boolean
  /** The Advanced part of the settings is open. */
  advancedOpen?: boolean
  prefsOpen: boolean
  dialog: Dialog
  contextMenu: { x: number; y: number } | null
  toasts: Toast[]
}

export function initialState(): AppState {
  return {
    host: null,
    engine: { status: 'starting', model: null, queued: 0 },
    path: null,
    documentId: newDocumentId(),
    title: 'Untitled',
    dirty: false,
    sampling: { ...DEFAULT_SAMPLING },
    keepSeed: false,
    slotLength: DEFAULT_SLOT_COUNT,
    revealPace: 'natural',
    fill: null,
    offers: 0,
    selection: { masked: false, locked: false, spanSlots: null, spanExplicit: false, empty: true },
    settingsOpen: false,
    prefsOpen: false,
    dialog: null,
    contextMenu: null,
    toasts: [],
  }
}

export function newDocumentId(): string {
  const bytes = new Uint8Array(8)
  crypto.getRandomValues(bytes)
  return 'doc-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

export class Store {
  private state: AppState = initialState()
  private readonly listeners = new Set<() => void>()
  private toastId = 0

  get(): AppState {
    return this.state
  }

  set(patch: Partial<AppState> | ((s: AppState) => Partial<AppState>)): void {
    const p = typeof patch === 'function' ? patch(this.state) : patch
    let changed = false
    for (const k of Object.keys(p) as (keyof AppState)[]) if (this.state[k] !== p[k]) changed = true
    if (!changed) return
    this.state = { ...this.state, ...p }
    for (const l of this.listeners) l()
  }

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }

  toast(kind: Toast['kind'], text: string, ms = kind === 'error' ? 9000 : 4500, key?: string): void {
    const id = ++this.toastId
    this.set((s) => ({ toasts: [...s.toasts.filter((t) => !key || t.key !== key).slice(-3), { id, kind, text, key }] }))
    setTimeout(() => this.dismissToast(id), ms)
  }

  dismissToastKey(key: string): void {
    if (this.state.toasts.some((t) => t.key === key)) this.set((s) => ({ toasts: s.toasts.filter((t) => t.key !== key) }))
  }

  dismissToast(id: number): void {
    this.set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }))
  }
}

/** Subscribes a component to a slice of the store. */
export function useStore<T>(store: Store, select: (s: AppState) => T): T {
  return useSyncExternalStore(store.subscribe, () => select(store.get()))
}
