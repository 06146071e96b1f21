import { describe, expect, it } from 'vitest'
import { applyFills, buildCanvas, buildCanvasCancellable, spanFillText, validateSpans } from './canvas'
import { CanvasError } from './errors'
import { TokenizerCodec } from './text-codec'
import { unigramTokenizerJson, wordPieceTokenizerJson } from './test-fixtures'

const codec = new TokenizerCodec(unigramTokenizerJson())
const MASK = 3
const PAD = 0
const id = (t: string) => codec.idOf(t)!

describe('validateSpans', () => {
  it('rejects overlapping spans, naming both', () => {
    expect(() => validateSpans('the cat sat', [{ id: 'a', from: 0, to: 5 }, { id: 'b', from: 4, to: 7 }], [])).toThrow(/"a".*"b".*overlap/)
  })
  it('rejects two insertions at the same point and a span past the end', () => {
    expect(() => validateSpans('abc', [{ id: 'a', from: 1, to: 1 }, { id: 'b', from: 1, to: 1 }], [])).toThrow(CanvasError)
    expect(() => validateSpans('abc', [{ id: 'a', from: 1, to: 9 }], [])).toThrow(/past the end/)
  })
  it('rejects a span overlapping locked text, allows one touching it', () => {
    expect(() => validateSpans('the cat sat', [{ id: 'a', from: 4, to: 7 }], [{ from: 6, to: 11 }])).toThrow(/locked text \(chars 6-11\)/)
    expect(() => validateSpans('the cat sat', [{ id: 'a', from: 5, to: 5 }], [{ from: 4, to: 7 }])).toThrow(/locked/)
    expect(validateSpans('the cat sat', [{ id: 'a', from: 4, to: 7 }], [{ from: 0, to: 4 }, { from: 7, to: 11 }])).toHaveLength(1)
  })
  it('finds locked overlaps exactly as the pairwise rule does (random cases)', () => {
    let seed = 7
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    }
    const text = 'x'.repeat(200)
    for (let trial = 0; trial < 300; trial++) {
      const locked = Array.from({ length: rand(6) }, () => {
        const from = rand(200)
        return { from, to: Math.min(200, from + rand(30)) }
      })
      const from = rand(200)
      const span = { id: 's', from, to: Math.min(200, from + rand(3) * rand(10)) }
      const brute = locked.some((l) => (span.from === span.to ? l.from < span.from && span.from < l.to : span.from < l.to && l.from < span.to))
      const threw = (() => {
        try {
          validateSpans(text, [span], locked)
          return false
        } catch {
          return true
        }
      })()
      expect(threw).toBe(brute)
    }
  })

  it('allows adjacent spans and sorts them', () => {
    const s = validateSpans('the cat sat', [{ id: 'b', from: 7, to: 11 }, { id: 'a', from: 4, to: 7 }], [])
    expect(s.map((x) => x.id)).toEqual(['a', 'b'])
  })
})

describe('buildCanvas', () => {
  it('places slots where the span was; the space before a span goes with it', () => {
    const text = 'the cat sat on the mat'
    const c = buildCanvas(text, [{ id: 's', from: 4, to: 7 }], [], codec, { maxLength: 64, maskId: MASK })
    expect(c.windows).toHaveLength(1)
    expect(Array.from(c.windows[0].ids)).toEqual([id('the'), MASK, id('▁sat'), id('▁on'), id('▁the'), id('▁mat')])
    expect(c.spans[0]).toMatchObject({ original: 'cat', leadingSpace: ' ', slots: 1, start: 1 })
    expect(c.windows[0].spans).toEqual([{ span: 0, offset: 1 }])
  })

  it('uses explicit slots, the original token count, or the empty-span default', () => {
    const text = 'the cat sat'
    const c = buildCanvas(
      text,
      [
        { id: 'ins', from: 0, to: 0 },
        { id: 'cat', from: 4, to: 7 },
        { id: 'ins2', from: 8, to: 8 },
        { id: 'end', from: 11, to: 11, slots: 3 },
      ],
      [],
      codec,
      { maxLength: 64, maskId: MASK, emptySpanSlots: 5 },
    )
    expect(c.spans.map((s) => s.slots)).toEqual([5, 1, 5, 3])
    expect(c.spans[2].leadingSpace).toBe(' ')
    expect(c.totalTokens).toBe(5 + 1 + 1 + 5 + 1 + 3)
  })

  it('tokenizes the spaces ending a span with the text after it and puts them back', () => {
    const text = 'the cat sat'
    const c = buildCanvas(text, [{ id: 's', from: 4, to: 8 }], [], codec, { maxLength: 64, maskId: MASK })
    expect(c.spans[0]).toMatchObject({ original: 'cat ', leadingSpace: ' ', trailingSpace: ' ', slots: 1 })
    expect(Array.from(c.windows[0].ids)).toEqual([id('the'), MASK, id('▁sat')])
    const fill = spanFillText(c.spans[0], [id('▁dog')], PAD, codec).text
    expect(fill).toBe('dog ')
    expect(applyFills(text, c.spans, new Map([['s', fill]]))).toBe('the dog sat')
    expect(applyFills(text, c.spans, new Map([['s', spanFillText(c.spans[0], [PAD], PAD, codec).text]]))).toBe('the sat')
  })

  it('keeps newlines outside a span as fixed tokens', () => {
    const c = buildCanvas('the\n\ncat', [{ id: 's', from: 5, to: 8 }], [], codec, { maxLength: 64, maskId: MASK })
    expect(Array.from(c.windows[0].ids)).toEqual([id('the'), id('\n'), id('\n'), MASK])
    expect(c.spans[0].leadingSpace).toBe('')
  })

  it('wraps windows in the tokenizer special tokens (BERT)', () => {
    const bert = new TokenizerCodec(wordPieceTokenizerJson())
    const c = buildCanvas('the cat sat', [{ id: 's', from: 4, to: 7 }], [], bert, { maxLength: 16, maskId: 4 })
    const ids = Array.from(c.windows[0].ids)
    expect(ids[0]).toBe(2)
    expect(ids[ids.length - 1]).toBe(3)
    expect(c.windows[0].spans[0].offset).toBe(2)
  })

  it('windows a long document: near spans share a window, far spans get their own', () => {
    const words = Array.from({ length: 400 }, (_, i) => (i % 2 ? 'cat' : 'dog'))
    const text = words.join(' ')
    const at = (w: number) => words.slice(0, w).join(' ').length + 1 // start of word w
    const spans = [
      { id: 'a', from: at(10), to: at(10) + 3 },
      { id: 'b', from: at(14), to: at(14) + 3 },
      { id: 'c', from: at(300), to: at(300) + 3 },
    ]
    const c = buildCanvas(text, spans, [], codec, { maxLength: 64, maskId: MASK })
    expect(c.windows).toHaveLength(2)
    expect(c.windows.every((w) => w.ids.length <= 64)).toBe(true)
    expect(c.windows[0].spans.map((s) => s.span)).toEqual([0, 1])
    expect(c.windows[1].spans.map((s) => s.span)).toEqual([2])
    // The far span sits in the middle of its window: context split evenly.
    const off = c.windows[1].spans[0].offset
    expect(Math.abs(off - (64 - 1 - off))).toBeLessThanOrEqual(2)
    for (const w of c.windows) for (const s of w.spans) expect(w.ids[s.offset]).toBe(MASK)
  })

  it('refuses a span longer than the window, saying what to do', () => {
    expect(() => buildCanvas('the cat', [{ id: 's', from: 0, to: 3, slots: 100 }], [], codec, { maxLength: 32, maskId: MASK })).toThrow(
      /needs 100 slots.*at most 32.*shorten the span/,
    )
  })
})

describe('spanFillText and applyFills', () => {
  const text = 'the cat sat'
  const c = buildCanvas(text, [{ id: 's', from: 4, to: 7, slots: 3 }], [], codec, { maxLength: 64, maskId: MASK })
  const span = c.spans[0]

  it('strips the absorbed leading space and drops pad in the tail and the middle', () => {
    expect(spanFillText(span, [id('▁dog'), PAD, PAD], PAD, codec)).toEqual({ text: 'dog', kept: [id('▁dog')] })
    expect(spanFillText(span, [id('▁a'), PAD, id('▁dog')], PAD, codec).text).toBe('a dog')
    expect(spanFillText(span, [PAD, PAD, PAD], PAD, codec).text).toBe('')
  })

  it('joins fills naturally and leaves text outside spans byte-identical', () => {
    const fill = spanFillText(span, [id('▁dog'), PAD, PAD], PAD, codec).text
    expect(applyFills(text, c.spans, new Map([['s', fill]]))).toBe('the dog sat')
    const odd = 'Ünïcödé  — text\t\n'
    expect(applyFills(odd + 'x', [{ id: 'x', from: odd.length, to: odd.length + 1 }], new Map([['x', 'y']]))).toBe(odd + 'y')
  })
})

describe('long documents', () => {
  const sentence = 'The cat sat on the mat, and the dog ran.\n'
  const text = sentence.repeat(3000)
  const spans = [
    { id: 'a', from: sentence.length * 10 + 4, to: sentence.length * 10 + 7 },
    { id: 'b', from: sentence.length * 1500 + 4, to: sentence.length * 1500 + 7 },
    { id: 'c', from: sentence.length * 2990, to: sentence.length * 2990, slots: 5 },
  ]

  it('tokenizes only what windows reach, and the windows equal those of a full tokenization', () => {
    const c = buildCanvas(text, spans, [], codec, { maxLength: 64, maskId: MASK })
    expect(c.windows).toHaveLength(3)
    expect(c.totalTokens).toBeLessThan(codec.encode(text).length / 10)
    // Reference: every fixed segment tokenized whole.
    const full: number[] = []
    const starts: number[] = []
    let cursor = 0
    for (const s of c.spans) {
      full.push(...codec.encode(text.slice(cursor, s.from - s.leadingSpace.length)))
      starts.push(full.length)
      for (let k = 0; k < s.slots; k++) full.push(MASK)
      cursor = s.to
    }
    full.push(...codec.encode(text.slice(cursor)))
    for (const w of c.windows) {
      const s = w.spans[0]
      const from = starts[s.span] - s.offset
      expect(Array.from(w.ids)).toEqual(full.slice(from, from + w.ids.length))
    }
  })
})

describe('hostile text: long runs without spaces, cancellation', () => {
  const cjk = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7) % 2000))).join('')

  it('200k unspaced characters build a canvas without throwing (spans at the start, middle and end)', () => {
    for (const text of [cjk(200_000), 'x'.repeat(200_000), Buffer.alloc(150_000, 9).toString('base64')]) {
      const n = text.length
      const spans = [
        { id: 'a', from: 10, to: 10, slots: 4 },
        { id: 'b', from: n >> 1, to: (n >> 1) + 5 },
        { id: 'c', from: n, to: n, slots: 3 },
      ]
      const c = buildCanvas(text, spans, [], codec, { maxLength: 64, maskId: MASK })
      expect(c.windows.length).toBeGreaterThanOrEqual(1)
      for (const w of c.windows) expect(w.ids.length).toBeLessThanOrEqual(64)
      expect(c.spans.map((s) => s.slots)).toEqual([4, expect.any(Number), 3])
    }
  })

  it('one span after 200k unspaced characters: the same canvas sync and cancellable', async () => {
    const text = cjk(200_000) + ' the cat'
    const spans = [{ id: 's', from: text.length - 3, to: text.length }]
    let checkpoints = 0
    const async = await buildCanvasCancellable(text, spans, [], codec, { maxLength: 64, maskId: MASK }, () => {
      checkpoints++
    })
    const sync = buildCanvas(text, spans, [], codec, { maxLength: 64, maskId: MASK })
    expect(async).toEqual(sync)
    expect(checkpoints).toBeGreaterThan(0)
  })

  it('a checkpoint that throws stops the build part way', async () => {
    const text = cjk(100_000)
    let checkpoints = 0
    await expect(
      buildCanvasCancellable(text, [{ id: 's', from: 50_000, to: 50_000, slots: 2 }], [], codec, { maxLength: 100_000, maskId: MASK }, () => {
        if (++checkpoints === 3) throw new Error('cancelled')
      }),
    ).rejects.toThrow('cancelled')
    expect(checkpoints).toBe(3)
  })
})
