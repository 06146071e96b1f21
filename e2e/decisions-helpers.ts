/**
 * Helpers for the decision specs (e2e/decisions-*.spec.ts): write a paragraph, mask words,
 * fill with the real default model, put the caret somewhere, and read the preference log
 * back through the app's own host API (window.__infill in test builds).
 */
import type { Page } from '@playwright/test'
import { expect } from './fixtures'
import { cursorToEnd } from './writer-helpers'

export interface LoggedDecision {
  id: number
  action: string
  spanId: string
  requestId: string
  spanOriginal: string
  candidates: string[]
  chosenIndex: number | null
  finalText: string
  prefix: string
  suffix: string
  sampling: { seed: number }
  retractedAt?: string
}

export interface PairPreview {
  decisionId: number
  chosen: string
  rejected: string
  action: string
}

type Hooked = { __infill: { api: { invoke(c: string, p: unknown): Promise<unknown> }; fills: { settleAll(): Promise<unknown> }; editorView(): any } }

/** Types `text` into an empty editor and masks each of `words` (selected with the mouse, Ctrl+M). */
export async function writeAndMask(page: Page, text: string, words: string[]): Promise<void> {
  const editor = page.getByTestId('editor')
  await editor.click()
  await page.keyboard.type(text, { delay: 2 })
  await expect(editor).toHaveText(text)
  for (const w of words) {
    await selectWords(page, w)
    await page.keyboard.press('Control+m')
  }
  await expect(editor.locator('.mark-masked')).toHaveCount(words.length)
}

/** Selects the first occurrence of `text` (inside one text node) in the editor, as a drag over it would. */
export async function selectWords(page: Page, text: string): Promise<void> {
  await page.evaluate((needle) => {
    const v = (window as unknown as Hooked).__infill.editorView()
    let at = -1
    v.state.doc.descendants((node: any, pos: number) => {
      if (at >= 0) return false
      if (node.isText && node.text.includes(needle)) at = pos + node.text.indexOf(needle)
      return true
    })
    if (at < 0) throw new Error(`"${needle}" is not in the document`)
    const TextSelection = v.state.selection.constructor
    v.dispatch(v.state.tr.setSelection(TextSelection.create(v.state.doc, at, at + needle.length)))
    v.focus()
  }, text)
  await expect.poll(() => page.evaluate(() => window.getSelection()?.toString() ?? '')).toBe(text)
}

/** Settings: `candidates` candidates, instant reveal (and keep seed on or off). */
export async function setSampling(page: Page, candidates: number, keepSeed = false): Promise<void> {
  await page.getByTestId('btn-settings').click()
  await page.getByTestId('set-candidates').fill(String(candidates))
  await page.getByTestId('set-pace').selectOption('instant')
  const box = page.getByTestId('set-keep-seed')
  if ((await box.isChecked()) !== keepSeed) await box.click()
  await page.getByTestId('set-done').click()
}

/** Ctrl+Enter at the end of the document; waits until `spans` boards offer candidates. */
export async function fillAll(page: Page, spans: number): Promise<void> {
  await cursorToEnd(page)
  await page.keyboard.press('Control+Enter')
  await expect(page.locator('[data-testid="fill-board"][data-status="ready"]')).toHaveCount(spans, { timeout: 150_000 })
}

/** The board of span `spanId` (s1, s2, …) of the latest fill. */
export function board(page: Page, spanId: string) {
  return page.locator(`[data-testid="fill-board"][data-span-id="${spanId}"]`)
}

/** The candidate a board shows ('' for an empty one). */
export async function shownCandidate(page: Page, spanId: string): Promise<string> {
  const t = (await board(page, spanId).getByTestId('cand-text').textContent()) ?? ''
  return t === '∅' ? '' : t
}

/** Every candidate a board offers, read by cycling with its › button (ends on the first). */
export async function allCandidates(page: Page, spanId: string): Promise<string[]> {
  const b = board(page, spanId)
  const n = Number(await b.getAttribute('data-candidate-count'))
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    out.push(await shownCandidate(page, spanId))
    if (n > 1) await b.getByTestId('cand-next').click()
  }
  return out
}

/**
 * The separator before a span's candidate on show: '' when it joins the word before it (it
 * removes the space before the span, as "'s" or a comma does; see border-spaces.ts), else ' '.
 */
export async function shownSeparator(page: Page, spanId: string): Promise<'' | ' '> {
  const trim = await page.evaluate((id) => {
    const v = (window as unknown as Hooked).__infill.editorView()
    const plugin = v.state.plugins.find((p: any) => p.spec.key?.key?.startsWith('infill-fill$'))
    const s = plugin.getState(v.state).spans.find((x: any) => x.spanId === id && x.status === 'ready')
    return (s.candidates[s.current].trimBefore ?? 0) as number
  }, spanId)
  return trim > 0 ? '' : ' '
}

/** The PM range of a live span on offer (by span id). */
export async function spanRange(page: Page, spanId: string): Promise<{ from: number; to: number }> {
  return page.evaluate((id) => {
    const v = (window as unknown as Hooked).__infill.editorView()
    const plugin = v.state.plugins.find((p: any) => p.spec.key?.key?.startsWith('infill-fill$'))
    const s = plugin.getState(v.state).spans.find((x: any) => x.spanId === id && x.status === 'ready')
    return { from: s.from, to: s.to }
  }, spanId)
}

/** Puts the caret at PM position `pos` (as a click there would). */
export async function caretAt(page: Page, pos: number): Promise<void> {
  await page.evaluate((p) => {
    const v = (window as unknown as Hooked).__infill.editorView()
    const sel = v.state.selection.constructor.near(v.state.doc.resolve(p))
    v.dispatch(v.state.tr.setSelection(sel))
    v.focus()
  }, pos)
}

/** The decisions logged so far, newest first (settling pending accepts first when asked). */
export async function loggedDecisions(page: Page, settle = false): Promise<LoggedDecision[]> {
  return page.evaluate(async (s) => {
    const app = (window as unknown as Hooked).__infill
    if (s) await app.fills.settleAll()
    return (await app.api.invoke('prefs:list', { limit: 100 })) as LoggedDecision[]
  }, settle)
}

/** The preference pairs (standard form) as the panel previews them. */
export async function loggedPairs(page: Page): Promise<PairPreview[]> {
  return page.evaluate(async () => (await (window as unknown as Hooked).__infill.api.invoke('prefs:pairs', { limit: 200 })) as PairPreview[])
}

/** The document's text, blocks joined by blank lines. */
export async function documentText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const d = (window as unknown as Hooked).__infill.editorView().state.doc
    return d.textBetween(0, d.content.size, '\n\n')
  })
}
