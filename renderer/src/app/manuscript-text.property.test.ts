/**
 * Randomized: what the renderer passes on of the open document never holds the text under a
 * mask. On random documents of paragraphs made of writer text, masked text, empty gaps and
 * line breaks (each word unique), manuscriptText holds every unmasked word, in order, and no
 * masked word; no phrase runs across where a mask was. INFILL_PROP_SEED / INFILL_PROP_RUNS
 * (seed printed), shrinking a failure to a small document.
 */
import fc from 'fast-check'
import type { Node as PMNode } from 'prosemirror-model'
import { describe, expect, it } from 'vitest'
import { schema } from '../editor/schema'
import { manuscriptText } from './manuscript-sync'

type Piece = { kind: 'writer' | 'masked' | 'gap' | 'break'; words: number }
const piece = fc.record({ kind: fc.constantFrom<Piece['kind']>('writer', 'writer', 'masked', 'gap', 'break'), words: fc.integer({ min: 1, max: 3 }) })

describe('manuscriptText (property)', () => {
  it('holds every unmasked word in order and no masked word', () => {
    const seed = Number(process.env.INFILL_PROP_SEED ?? Math.floor(Math.random() * 2 ** 31))
    const numRuns = Number(process.env.INFILL_PROP_RUNS ?? 300)
    console.log(`manuscript text property test: seed ${seed} (set INFILL_PROP_SEED to replay), ${numRuns} cases`)
    fc.assert(
      fc.property(fc.array(fc.array(piece, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }), (paragraphs) => {
        let n = 0
        const kept: string[] = []
        const hidden: string[] = []
        const doc = schema.nodes.doc.create(
          null,
          paragraphs.map((pieces) => {
            const nodes: PMNode[] = []
            for (const p of pieces) {
              if (p.kind === 'gap') {
                nodes.push(schema.nodes.mask_slot.create({ slots: 2 }))
                continue
              }
              const words = Array.from({ length: p.words }, () => `w${n++}`)
              const text = ` ${words.join(' ')} `
              ;(p.kind === 'masked' ? hidden : kept).push(...words)
              nodes.push(schema.text(text, [p.kind === 'masked' ? schema.marks.masked.create({ slots: null }) : schema.marks.locked.create()]))
              if (p.kind === 'break') nodes.push(schema.nodes.hard_break.create())
            }
            return schema.nodes.paragraph.create(null, nodes)
          }),
        )
        const text = manuscriptText(doc)
        const words = text.match(/w\d+/g) ?? []
        expect(words).toEqual(kept)
        for (const h of hidden) expect(words).not.toContain(h)
        // Where a mask was, the text breaks: the words on either side are never one phrase.
        const plainWords = doc.textBetween(0, doc.content.size, '\n\n', '').match(/w\d+/g) ?? []
        for (let i = 0; i + 2 < plainWords.length; i++) {
          const [a, m, b] = plainWords.slice(i, i + 3)
          if (hidden.includes(m) && kept.includes(a) && kept.includes(b)) expect(text).not.toMatch(new RegExp(`\\b${a} +${b}\\b`))
        }
      }),
      { seed, numRuns },
    )
  })
})
