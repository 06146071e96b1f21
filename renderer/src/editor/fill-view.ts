/**
 * The fill as the writer sees it: decorations over the document (a live span's own text
 * is hidden and its board shown in its place; a dropped span keeps its text and shows a
 * note) and a plugin view that keeps each board's DOM in step with the fill state.
 */
import { Plugin, PluginKey, type EditorState } from 'prosemirror-state'
import { Decoration, DecorationSet } from 'prosemirror-view'
import { candidateTake, spanBorders } from './border-spaces'
import { FillBoard, type BoardHandlers } from './fill-board'
import { getFillState, shownFill, type FillState } from './fill-state'

export const fillViewKey = new PluginKey('infill-fill-view')

/** Decorations for a fill state (boards come from `board(key)`). */
export function fillDecorations(state: EditorState, fs: FillState, board: (key: string) => FillBoard): DecorationSet {
  if (fs.spans.length === 0) return DecorationSet.empty
  const decos: Decoration[] = []
  for (const s of fs.spans) {
    const b = board(s.key)
    if (s.status === 'dropped') {
      decos.push(Decoration.widget(s.to, () => b.dom, { key: `board:${s.key}`, side: 1, ignoreSelection: true, stopEvent: () => true }))
      continue
    }
    // The spaces around the span that the candidate on show removes are hidden with it (border-spaces.ts).
    const shown = s.status === 'ready' ? s.candidates?.[s.current] : undefined
    const take = shown ? candidateTake(shown, spanBorders(state.doc, s.from, s.to)) : { before: 0, after: 0 }
    if (take.before > 0) decos.push(Decoration.inline(s.from - take.before, s.from, { class: 'fill-hidden' }))
    if (take.after > 0) decos.push(Decoration.inline(s.to, s.to + take.after, { class: 'fill-hidden' }))
    if (s.to > s.from) {
      if (s.kind === 'slot') decos.push(Decoration.node(s.from, s.to, { class: 'fill-hidden' }))
      else decos.push(Decoration.inline(s.from, s.to, { class: 'fill-hidden' }))
    }
    decos.push(Decoration.widget(s.from, () => b.dom, { key: `board:${s.key}`, side: -1, ignoreSelection: true, stopEvent: () => true }))
  }
  return DecorationSet.create(state.doc, decos)
}

/** The plugin: decorations plus board upkeep. */
export function fillView(handlers: BoardHandlers): Plugin {
  const boards = new Map<string, FillBoard>()
  const board = (key: string): FillBoard => {
    let b = boards.get(key)
    if (!b) boards.set(key, (b = new FillBoard(key, handlers)))
    return b
  }
  let cache: { fs: FillState; doc: EditorState['doc']; set: DecorationSet } | null = null
  const sync = (state: EditorState): void => {
    const fs = getFillState(state)
    const live = new Set(fs.spans.map((s) => s.key))
    for (const key of boards.keys()) if (!live.has(key)) boards.delete(key)
    const order = new Map<string, number>()
    for (const reqId of new Set(fs.spans.map((s) => s.requestId))) {
      fs.spans
        .filter((s) => s.requestId === reqId)
        .sort((a, b) => a.from - b.from)
        .forEach((s, i) => order.set(s.key, i + 1))
    }
    // A span on offer shows its round on show's fill (model, settings); one being filled, its own.
    for (const s of fs.spans) board(s.key).render(s, s.status === 'ready' ? shownFill(fs, s) : fs.fills[s.requestId], order.get(s.key) ?? 0)
  }
  return new Plugin({
    key: fillViewKey,
    props: {
      decorations(state) {
        const fs = getFillState(state)
        if (cache && cache.fs === fs && cache.doc === state.doc) return cache.set
        const set = fillDecorations(state, fs, board)
        cache = { fs, doc: state.doc, set }
        return set
      },
    },
    view(view) {
      sync(view.state)
      return {
        update(v, prev) {
          if (getFillState(v.state) !== getFillState(prev)) sync(v.state)
        },
      }
    },
  })
}
