/**
 * Which of the writer's texts the fills draw on, as a state machine over what happens to them:
 * the open document changes (the renderer sends its text a moment after the writer pauses),
 * it is saved, a workspace file is read or goes away, the writer picks the scope
 * (off / this document / every document in the workspace), or forgets their text.
 *
 * After each event the index holds exactly the texts in scope, and the engine is sent the
 * changes that bring its own copy to the same texts (`EngineEdit`s: a text set, one removed,
 * or all cleared). The model-based test checks both against a rebuild from the current texts.
 *
 * Pure and runtime-agnostic: the manuscript service feeds it from files and requests.
 */
import { ManuscriptIndex } from './manuscript-index'

export type ManuscriptScopeName = 'off' | 'document' | 'workspace'

/** A change for the engine's copy of the manuscript. */
export type EngineEdit = { kind: 'set'; id: string; text: string } | { kind: 'remove'; id: string } | { kind: 'clear' }

/** The text open in one window (or browser connection). */
export interface OpenText {
  /** The renderer's document id. */
  documentId: string
  /** The file it was opened from or saved to; null while unsaved. */
  path: string | null
  /** The editor's plain text (masked spans included: each request names its document and the engine leaves its masks out). */
  text: string
}

/** The id of an open text in the index: its path, so that it stands in for that file's copy on disk. */
export function openTextId(open: Pick<OpenText, 'documentId' | 'path'>): string {
  return open.path ?? `unsaved:${open.documentId}`
}

export class ManuscriptSources {
  readonly index = new ManuscriptIndex()
  private scopeName: ManuscriptScopeName
  /** Workspace files as last read from disk (plain text), by path. */
  private readonly files = new Map<string, string>()
  /** The open document of each window, by sender id. */
  private readonly opens = new Map<string, OpenText>()

  constructor(scope: ManuscriptScopeName = 'document') {
    this.scopeName = scope
  }

  get scope(): ManuscriptScopeName {
    return this.scopeName
  }

  /** The texts in scope now, by id (what the index must hold). */
  wanted(): Map<string, string> {
    const want = new Map<string, string>()
    if (this.scopeName === 'off') return want
    if (this.scopeName === 'workspace') for (const [path, text] of this.files) want.set(path, text)
    // The open text stands in for its file's copy on disk (it is newer).
    for (const open of this.opens.values()) want.set(openTextId(open), open.text)
    return want
  }

  /** The open document of `sender` changed (or was opened, or saved under a new path). */
  edit(sender: string, open: OpenText): EngineEdit[] {
    this.opens.set(sender, open)
    return this.sync()
  }

  /** A window closed: its open text no longer counts (its file still does, in workspace scope). */
  close(sender: string): EngineEdit[] {
    this.opens.delete(sender)
    return this.sync()
  }

  /**
   * The open document of `sender` was saved to `path` as `fileText`: that is the file's copy
   * now, and the open text (the editor's, newer) stands in for it under its new id.
   */
  saved(sender: string, path: string, fileText: string): EngineEdit[] {
    this.files.set(path, fileText)
    const open = this.opens.get(sender)
    if (open) this.opens.set(sender, { ...open, path })
    return this.sync()
  }

  /** A workspace file as read from disk (null: it is gone). */
  file(path: string, text: string | null): EngineEdit[] {
    if (text === null) this.files.delete(path)
    else this.files.set(path, text)
    return this.sync()
  }

  /** The workspace files known, by path. */
  fileTexts(): ReadonlyMap<string, string> {
    return this.files
  }

  setScope(scope: ManuscriptScopeName): EngineEdit[] {
    this.scopeName = scope
    return this.sync()
  }

  /**
   * Forget my text: every text is dropped (workspace copies and open texts), the engine's copy
   * cleared, and the scope goes to 'off' so the next keystroke does not bring it back.
   */
  forget(): EngineEdit[] {
    this.files.clear()
    this.opens.clear()
    this.index.clear()
    this.scopeName = 'off'
    return [{ kind: 'clear' }]
  }

  /** Brings the index to the texts in scope; returns the engine's edits for the same change. */
  private sync(): EngineEdit[] {
    const want = this.wanted()
    const edits: EngineEdit[] = []
    for (const id of this.index.ids()) {
      if (want.has(id)) continue
      this.index.remove(id)
      edits.push({ kind: 'remove', id })
    }
    for (const [id, text] of want) if (this.index.set(id, text)) edits.push({ kind: 'set', id, text })
    return edits
  }
}
