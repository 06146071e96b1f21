/**
 * Restores Infill's marks (masked, locked, generated) from a sidecar that no longer matches
 * its Markdown (the file was edited in another program) onto the document parsed from the
 * new text: the two texts are diffed character by character (jsdiff) and each character the
 * edit left unchanged gets the Infill marks it had. Changed or new text keeps what a file
 * without a sidecar gets (locked: it is the writer's). Pure: documents in, document out.
 */
import { diffChars } from 'diff'
import type { Mark, Node as PMNode } from 'prosemirror-model'
import { Transform } from 'prosemirror-transform'
import { schema } from '../editor/schema'

const INFILL_MARKS = ['masked', 'locked', 'generated'] as const

/** Give up mapping (keeping the text as opened) when the diff takes longer than this. */
const DIFF_TIMEOUT_MS = 2_000

interface IndexedText {
  text: string
  /** Document position of each UTF-16 unit of `text`; -1 for the newline between blocks. */
  pos: number[]
  /** Infill marks of each unit (empty array for block separators). */
  marks: (readonly Mark[])[]
}

function indexText(doc: PMNode): IndexedText {
  let text = ''
  const pos: number[] = []
  const marks: (readonly Mark[])[] = []
  doc.descendants((node, at) => {
    if (node.isBlock && node.isTextblock && text.length > 0) {
      text += '\n'
      pos.push(-1)
      marks.push([])
    }
    if (node.isText) {
      const own = node.marks.filter((m) => (INFILL_MARKS as readonly string[]).includes(m.type.name))
      for (let i = 0; i < node.text!.length; i++) {
        pos.push(at + i)
        marks.push(own)
      }
      text += node.text
    }
    return true
  })
  return { text, pos, marks }
}

export interface RecoveredMarks {
  doc: PMNode
  /** Characters that carried an Infill mark in the old document. */
  markedBefore: number
  /** Of those, how many got their marks back. */
  restored: number
  /** False when the texts were too different to diff in time (nothing was mapped). */
  mapped: boolean
}

const sameMarks = (a: readonly Mark[], b: readonly Mark[]): boolean => a.length === b.length && a.every((m, i) => m.eq(b[i]))

/** `opened`: the document parsed from the new text; `old`: the set-aside sidecar's document. */
export function recoverMarks(opened: PMNode, old: PMNode): RecoveredMarks {
  const before = indexText(old)
  const after = indexText(opened)
  const markedBefore = before.marks.filter((m) => m.length > 0).length
  // Pairs of (old index, new index) for every unchanged character.
  const pairs: [number, number][] = []
  let head = 0
  while (head < before.text.length && head < after.text.length && before.text[head] === after.text[head]) pairs.push([head, head++])
  let tail = 0
  while (
    tail < before.text.length - head &&
    tail < after.text.length - head &&
    before.text[before.text.length - 1 - tail] === after.text[after.text.length - 1 - tail]
  ) tail++
  const changes = diffChars(before.text.slice(head, before.text.length - tail), after.text.slice(head, after.text.length - tail), { timeout: DIFF_TIMEOUT_MS })
  if (!changes) return { doc: opened, markedBefore, restored: 0, mapped: false }
  let o = head
  let n = head
  for (const part of changes) {
    const len = part.value.length
    if (part.added) n += len
    else if (part.removed) o += len
    else {
      for (let k = 0; k < len; k++) pairs.push([o + k, n + k])
      o += len
      n += len
    }
  }
  for (let k = 0; k < tail; k++) pairs.push([before.text.length - tail + k, after.text.length - tail + k])

  // Runs of consecutive positions in the new document with the same old marks: one step each.
  const tr = new Transform(opened)
  let restored = 0
  let run: { from: number; to: number; marks: readonly Mark[] } | null = null
  const flush = (): void => {
    if (!run) return
    for (const name of INFILL_MARKS) tr.removeMark(run.from, run.to, schema.marks[name])
    for (const mark of run.marks) tr.addMark(run.from, run.to, mark)
    run = null
  }
  for (const [oi, ni] of pairs) {
    const at = after.pos[ni]
    if (at < 0) continue
    const marks = before.marks[oi]
    if (marks.length > 0) restored++
    if (run && run.to === at && sameMarks(run.marks, marks)) run.to = at + 1
    else {
      flush()
      run = { from: at, to: at + 1, marks }
    }
  }
  flush()
  return { doc: tr.doc, markedBefore, restored, mapped: true }
}
