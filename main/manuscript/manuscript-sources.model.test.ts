/**
 * Model-based test of the manuscript's incremental updates: random sequences of the writer's
 * edits in open documents (several windows), saves, workspace files read or deleted, scope
 * changes, closed windows and "Forget my text", run against a plain reference model. After
 * every step:
 *
 * - the index equals an index rebuilt from scratch from the texts in scope (the model's);
 * - the engine's copy, built only from the edits sent to it, holds the same texts.
 *
 * Seed: INFILL_MANUSCRIPT_SEED (printed either way); INFILL_MANUSCRIPT_RUNS sequences (default
 * 300); fast-check shrinks a failure to a short sequence.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ManuscriptIndex } from './manuscript-index'
import { ManuscriptSources, openTextId, type EngineEdit, type ManuscriptScopeName, type OpenText } from './manuscript-sources'

interface Model {
  scope: ManuscriptScopeName
  files: Map<string, string>
  opens: Map<string, OpenText>
}

interface Real {
  sources: ManuscriptSources
  /** The engine's copy, from the edits alone. */
  engine: Map<string, string>
}

function expected(m: Model): Map<string, string> {
  const out = new Map<string, string>()
  if (m.scope === 'off') return out
  if (m.scope === 'workspace') for (const [p, t] of m.files) out.set(p, t)
  for (const o of m.opens.values()) out.set(openTextId(o), o.text)
  return out
}

function apply(engine: Map<string, string>, edits: EngineEdit[]): void {
  for (const e of edits) {
    if (e.kind === 'clear') engine.clear()
    else if (e.kind === 'remove') engine.delete(e.id)
    else engine.set(e.id, e.text)
  }
}

function check(m: Model, r: Real): void {
  const want = expected(m)
  expect(r.sources.index.snapshot()).toEqual(ManuscriptIndex.rebuild(want).snapshot())
  expect(new Map([...r.engine].sort())).toEqual(new Map([...want].sort()))
}

const SENDERS = ['w1', 'w2']
const PATHS = ['/ws/one.md', '/ws/two.md', '/ws/three.md']
/** Pieces that stress chunk borders: words, apostrophes, punctuation, spaces, line breaks, a surrogate pair. */
const PIECES = ['Mara', 'lamp', "'s", '’', ' ', '  ', '\n', '\n\n', '.', ',', 'don', "'t", 'Ketterby', '—', '9', '𝒜', 'é', 'the ']
const pieceText = fc.array(fc.constantFrom(...PIECES), { maxLength: 8 }).map((a) => a.join(''))

/** An edit of a text: replace [at, at + del) (positions as fractions of the length) with `ins`. */
const editArb = fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), del: fc.nat(12), ins: pieceText })
function edited(text: string, e: { at: number; del: number; ins: string }): string {
  const at = Math.min(text.length, Math.floor(e.at * (text.length + 1)))
  return text.slice(0, at) + e.ins + text.slice(Math.min(text.length, at + e.del))
}

class Edit implements fc.Command<Model, Real> {
  constructor(
    readonly sender: string,
    readonly e: { at: number; del: number; ins: string },
  ) {}
  check = () => true
  run(m: Model, r: Real): void {
    const before = m.opens.get(this.sender) ?? { documentId: `doc-${this.sender}`, path: null, text: '' }
    const open = { ...before, text: edited(before.text, this.e) }
    m.opens.set(this.sender, open)
    apply(r.engine, r.sources.edit(this.sender, open))
    check(m, r)
  }
  toString = () => `Edit(${this.sender}, ${JSON.stringify(this.e)})`
}

class OpenFile implements fc.Command<Model, Real> {
  constructor(
    readonly sender: string,
    readonly path: string,
  ) {}
  check = () => true
  run(m: Model, r: Real): void {
    const open = { documentId: `doc-${this.sender}-${this.path}`, path: this.path, text: m.files.get(this.path) ?? '' }
    m.opens.set(this.sender, open)
    apply(r.engine, r.sources.edit(this.sender, open))
    check(m, r)
  }
  toString = () => `OpenFile(${this.sender}, ${this.path})`
}

class Save implements fc.Command<Model, Real> {
  constructor(
    readonly sender: string,
    readonly path: string,
  ) {}
  check = (m: Readonly<Model>) => m.opens.has(this.sender)
  run(m: Model, r: Real): void {
    const open = m.opens.get(this.sender)!
    // The file's text differs from the open text (Markdown read back, against the editor's plain text).
    const fileText = `${open.text} masked words`
    m.files.set(this.path, fileText)
    m.opens.set(this.sender, { ...open, path: this.path })
    apply(r.engine, r.sources.saved(this.sender, this.path, fileText))
    check(m, r)
  }
  toString = () => `Save(${this.sender}, ${this.path})`
}

class DiskFile implements fc.Command<Model, Real> {
  constructor(
    readonly path: string,
    readonly text: string | null,
  ) {}
  check = () => true
  run(m: Model, r: Real): void {
    if (this.text === null) m.files.delete(this.path)
    else m.files.set(this.path, this.text)
    apply(r.engine, r.sources.file(this.path, this.text))
    check(m, r)
  }
  toString = () => `DiskFile(${this.path}, ${JSON.stringify(this.text)})`
}

class Close implements fc.Command<Model, Real> {
  constructor(readonly sender: string) {}
  check = () => true
  run(m: Model, r: Real): void {
    m.opens.delete(this.sender)
    apply(r.engine, r.sources.close(this.sender))
    check(m, r)
  }
  toString = () => `Close(${this.sender})`
}

class Scope implements fc.Command<Model, Real> {
  constructor(readonly scope: ManuscriptScopeName) {}
  check = () => true
  run(m: Model, r: Real): void {
    m.scope = this.scope
    apply(r.engine, r.sources.setScope(this.scope))
    check(m, r)
  }
  toString = () => `Scope(${this.scope})`
}

class Forget implements fc.Command<Model, Real> {
  check = () => true
  run(m: Model, r: Real): void {
    m.scope = 'off'
    m.files.clear()
    m.opens.clear()
    apply(r.engine, r.sources.forget())
    check(m, r)
    expect(r.engine.size).toBe(0)
  }
  toString = () => 'Forget'
}

const sender = fc.constantFrom(...SENDERS)
const path = fc.constantFrom(...PATHS)
const commands = fc.commands(
  [
    ...Array.from({ length: 6 }, () => fc.tuple(sender, editArb).map(([s, e]) => new Edit(s, e))),
    fc.tuple(sender, path).map(([s, p]) => new OpenFile(s, p)),
    fc.tuple(sender, path).map(([s, p]) => new Save(s, p)),
    fc.tuple(path, fc.option(pieceText, { nil: null, freq: 4 })).map(([p, t]) => new DiskFile(p, t)),
    sender.map((s) => new Close(s)),
    fc.constantFrom<ManuscriptScopeName>('off', 'document', 'workspace').map((s) => new Scope(s)),
    fc.constant(new Forget()),
  ],
  { maxCommands: 60, size: 'large' },
)

describe('manuscript sources (model-based)', () => {
  it('after any sequence of edits, saves, file changes, scope changes and forgets, the index and the engine copy equal a rebuild', () => {
    const seed = Number(process.env.INFILL_MANUSCRIPT_SEED ?? Date.now() % 2 ** 31)
    const numRuns = Number(process.env.INFILL_MANUSCRIPT_RUNS ?? 300)
    console.log(`manuscript model test: seed ${seed} (rerun with INFILL_MANUSCRIPT_SEED=${seed}), ${numRuns} sequences`)
    fc.assert(
      fc.property(fc.constantFrom<ManuscriptScopeName>('document', 'workspace'), commands, (scope, cmds) => {
        const model: Model = { scope, files: new Map(), opens: new Map() }
        const real: Real = { sources: new ManuscriptSources(scope), engine: new Map() }
        fc.modelRun(() => ({ model, real }), cmds)
      }),
      { seed, numRuns },
    )
  })
})
