import { describe, expect, it } from 'vitest'
import type { Node as PMNode } from 'prosemirror-model'
import { lockAll, parseDocument } from '../editor/markdown'
import { docOf, generated, locked, masked, para } from '../editor/test-helpers'
import { recoverMarks } from './marks-recovery'

/** Each text run with the names of its Infill marks, e.g. "Hello |locked". */
function runs(doc: PMNode): string[] {
  const out: string[] = []
  doc.descendants((node) => {
    if (node.isText) out.push(`${node.text}|${node.marks.map((m) => m.type.name).join(',')}`)
    return true
  })
  return out
}

describe('restoring marks from a sidecar that no longer matches', () => {
  it('puts the old marks back on unchanged text; changed text stays the writer\u2019s (locked)', () => {
    const old = docOf(para(locked('The keeper '), masked('counted the ships'), locked(' until dawn.')), para(generated('Fog rolled in.')))
    // Edited elsewhere: a word changed inside the locked run, a sentence added at the end.
    const opened = lockAll(parseDocument('The keeper counted the ships until dusk.\n\nFog rolled in. It stayed\n', 'notes.md'))
    const { doc, restored, markedBefore, mapped } = recoverMarks(opened, old)
    expect(mapped).toBe(true)
    expect(doc.textContent).toBe(opened.textContent) // the text is the file's, untouched
    // Adjacent runs with the same marks are one text node: " until d" + "usk." are one locked run.
    expect(runs(doc)).toEqual(['The keeper |locked', 'counted the ships|masked', ' until dusk.|locked', 'Fog rolled in.|generated', ' It stayed|locked'])
    expect(markedBefore).toBe('The keeper counted the ships until dawn.Fog rolled in.'.length)
    expect(restored).toBe(markedBefore - 'awn'.length)
  })

  it('restores nothing it cannot place, and leaves a rewritten text fully locked', () => {
    const old = docOf(para(masked('alpha beta')))
    const opened = lockAll(parseDocument('zzzz\n', 'notes.md'))
    const { doc, restored } = recoverMarks(opened, old)
    expect(restored).toBe(0)
    expect(runs(doc)).toEqual(['zzzz|locked'])
  })
})
