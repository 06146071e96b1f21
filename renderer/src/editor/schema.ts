/**
 * The editor's document schema: CommonMark's nodes (from prosemirror-markdown) plus
 * Infill's three marks and the empty mask slot.
 *
 * - `masked`: text pending regeneration. `slots` is the span's slot budget (null = as many
 *   as the original text has tokens, the engine's default).
 *   `length` is the writer's length target in words (a LengthTarget of main/contract.ts,
 *   null = none); when set it overrides `slots`. An empty `mask_slot` carries it too.
 * - `locked`: text the model must never touch (the writer's own text is locked as typed).
 * - `generated`: text the model wrote, with its provenance.
 * - `mask_slot`: an empty masked span (an insertion point) of `slots` slots; masking at a
 *   bare cursor inserts one.
 *
 * `masked` excludes `locked` (a span may not overlap locked text) and neither mark extends
 * when typing at its edge (`inclusive: false`), so text typed beside a span is not part of it.
 */
import { Schema, type DOMOutputSpec, type MarkSpec, type NodeSpec } from 'prosemirror-model'
import { schema as markdownSchema } from 'prosemirror-markdown'

/** Default slot budget of an empty mask slot. */
export const DEFAULT_SLOT_COUNT = 8
export const MIN_SLOTS = 1
export const MAX_SLOTS = 256
/** Boxes an empty slot draws before it writes the rest as a count. */
const SLOT_BOXES_SHOWN = 24

const maskSlot: NodeSpec = {
  inline: true,
  group: 'inline',
  atom: true,
  selectable: true,
  attrs: { slots: { default: DEFAULT_SLOT_COUNT }, length: { default: null } },
  parseDOM: [
    {
      tag: 'span[data-mask-slot]',
      getAttrs: (dom) => ({ slots: clampSlots(Number((dom as HTMLElement).getAttribute('data-mask-slot'))) }),
    },
  ],
  toDOM: (node) => {
    const n = node.attrs.slots as number
    const boxes: DOMOutputSpec[] = []
    for (let i = 0; i < Math.min(n, SLOT_BOXES_SHOWN); i++) boxes.push(['span', { class: 'slot-box' }])
    return [
      'span',
      {
        'data-mask-slot': String(n),
        ...(node.attrs.length == null ? {} : { 'data-length': JSON.stringify(node.attrs.length) }),
        class: 'mask-slot',
        title: `Empty gap to fill: about ${Math.max(1, Math.round(n / 1.3))} words`,
        'data-testid': 'mask-slot',
      },
      ...boxes,
      ...(n > SLOT_BOXES_SHOWN ? [['span', { class: 'mask-slot-count' }, `+${n - SLOT_BOXES_SHOWN}`] as DOMOutputSpec] : []),
    ]
  },
  leafText: () => '',
}

const masked: MarkSpec = {
  attrs: { slots: { default: null }, length: { default: null } },
  inclusive: false,
  excludes: 'masked locked',
  parseDOM: [
    {
      tag: 'span[data-masked]',
      getAttrs: (dom) => {
        const v = (dom as HTMLElement).getAttribute('data-masked')
        return { slots: v ? clampSlots(Number(v)) : null }
      },
    },
  ],
  toDOM: (mark) => [
    'span',
    {
      'data-masked': mark.attrs.slots == null ? '' : String(mark.attrs.slots),
      ...(mark.attrs.length == null ? {} : { 'data-length': JSON.stringify(mark.attrs.length) }),
      class: 'mark-masked',
    },
    0,
  ],
}

const locked: MarkSpec = {
  inclusive: true,
  parseDOM: [{ tag: 'span[data-locked]' }],
  toDOM: () => ['span', { 'data-locked': '', class: 'mark-locked' }, 0],
}

const generated: MarkSpec = {
  attrs: { model: { default: '' }, strategy: { default: '' }, requestId: { default: '' } },
  inclusive: false,
  parseDOM: [
    {
      tag: 'span[data-generated]',
      getAttrs: (dom) => {
        const el = dom as HTMLElement
        return {
          model: el.getAttribute('data-model') ?? '',
          strategy: el.getAttribute('data-strategy') ?? '',
          requestId: el.getAttribute('data-generated') ?? '',
        }
      },
    },
  ],
  toDOM: (mark) => [
    'span',
    {
      'data-generated': mark.attrs.requestId,
      'data-model': mark.attrs.model,
      'data-strategy': mark.attrs.strategy,
      class: 'mark-generated',
      title: `Written by ${mark.attrs.model || 'the model'} · ${mark.attrs.strategy || 'unknown strategy'} · request ${mark.attrs.requestId}`,
    },
    0,
  ],
}

/** The schema every editor state, parser and serializer in the renderer uses. */
export const schema = new Schema({
  nodes: markdownSchema.spec.nodes.addToEnd('mask_slot', maskSlot),
  marks: markdownSchema.spec.marks.append({ masked, locked, generated }),
})

export function clampSlots(n: number): number {
  if (!Number.isFinite(n)) return DEFAULT_SLOT_COUNT
  return Math.max(MIN_SLOTS, Math.min(MAX_SLOTS, Math.round(n)))
}
