/**
 * The document as the engine sees it: plain text with blocks joined by "\n\n", and the
 * mapping between character offsets in that text and ProseMirror positions.
 *
 * Text nodes contribute their characters, a hard break "\n", a mask slot nothing (it is an
 * empty span: an insertion point). Every textblock is one block, whatever it is nested in.
 */
import type { Node as PMNode } from 'prosemirror-model'

/** A run of characters that sits at consecutive PM positions. */
export interface TextSegment {
  /** Offset of the first character in the plain text. */
  char: number
  /** PM position of the first character. */
  pos: number
  length: number
}

/** Plain text of a document and the segments that map it back. */
export interface PlainText {
  text: string
  /** Segments in document order (strictly increasing `char` and `pos`). */
  segments: TextSegment[]
  /** For each textblock: PM position of its content start and its char offset. */
  blocks: { pos: number; char: number; end: number; charEnd: number }[]
}

export const BLOCK_SEPARATOR = '\n\n'

/** Builds the plain text of `doc` with its position mapping. */
export function plainText(doc: PMNode): PlainText {
  let text = ''
  const segments: TextSegment[] = []
  const blocks: PlainText['blocks'] = []
  doc.descendants((node, pos) => {
    if (!node.isTextblock) return true
    if (blocks.length > 0) text += BLOCK_SEPARATOR
    const start = pos + 1
    const blockChar = text.length
    node.forEach((child, offset) => {
      const childPos = start + offset
      if (child.isText) {
        const t = child.text ?? ''
        segments.push({ char: text.length, pos: childPos, length: t.length })
        text += t
      } else if (child.type.name === 'hard_break') {
        segments.push({ char: text.length, pos: childPos, length: 1 })
        text += '\n'
      }
    })
    blocks.push({ pos: start, char: blockChar, end: start + node.content.size, charEnd: text.length })
    return false
  })
  return { text, segments, blocks }
}

/**
 * PM position of char offset `char`. At a boundary between two segments (or a segment and
 * a slot), `bias` picks the side: -1 the end of the earlier run, 1 the start of the later.
 */
export function charToPos(pt: PlainText, char: number, bias: -1 | 1 = 1): number {
  const segs = pt.segments
  let found: number | null = null
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]
    if (char >= s.char && char <= s.char + s.length) {
      const p = s.pos + (char - s.char)
      if (bias < 0) return p
      if (char < s.char + s.length) return p
      found = p
      continue
    }
    if (s.char > char) break
  }
  if (found !== null) return found
  // In a block with no text (or between blocks): the start of the block at/after char.
  for (const b of pt.blocks) if (b.char >= char || (char >= b.char && char <= b.charEnd)) return b.pos
  return pt.blocks.length ? pt.blocks[pt.blocks.length - 1].end : 0
}

/** Char offset of PM position `pos` (positions inside no text map to the nearest char before). */
export function posToChar(pt: PlainText, pos: number): number {
  let best = 0
  for (const s of pt.segments) {
    if (pos < s.pos) break
    if (pos <= s.pos + s.length) return s.char + (pos - s.pos)
    best = s.char + s.length
  }
  for (const b of pt.blocks) if (pos >= b.pos && pos <= b.end && b.char > best) best = b.char
  return best
}
