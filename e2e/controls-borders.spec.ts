/**
 * Issue 16 §6: spaces at span borders follow the fill. The spaces just before a masked span
 * belong to the mask (renderer/src/editor/border-spaces.ts): a fill starting with "'s" joins
 * the word before it, a span at a line start gets no leading space, an empty fill or two
 * adjacent fills never leave a double space, undo puts the spaces back exactly; the logged
 * entry's prefix + final text + suffix is the document. Also: the "N spans ready" note counts
 * down as spans are decided.
 *
 * The first test makes the engine's answer deterministic at the wire: the page's WebSocket is
 * routed through Playwright and the real engine's fill:done is rewritten to known candidates
 * (with the `trimBefore` the engine computes for such text). The second one checks the same
 * invariants on whatever the real default model returns.
 * Screenshots: e2e/artifacts/controls-borders-*.png.
 */
import type { Page } from '@playwright/test'
import type { FillResult, SpanCandidate } from '../main/contract'
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'
import { board, documentText, loggedDecisions, setSampling, writeAndMask } from './decisions-helpers'
import { cursorToEnd } from './writer-helpers'

type Cand = Pick<SpanCandidate, 'text' | 'trimBefore'>

/** Routes the page's WebSocket through the test; fill:done results pass through `rewrite`. */
async function rewriteFills(page: Page, rewrite: (r: FillResult) => FillResult): Promise<void> {
  await page.routeWebSocket(/./, (ws) => {
    const server = ws.connectToServer()
    ws.onMessage((m) => server.send(m))
    server.onMessage((m) => {
      if (typeof m !== 'string') return ws.send(m)
      const msg = JSON.parse(m) as { kind: string; channel?: string; payload?: unknown }
      if (msg.kind === 'event' && msg.channel === 'fill:done') msg.payload = rewrite(msg.payload as FillResult)
      ws.send(JSON.stringify(msg))
    })
  })
}

/** Each span's candidates by its original text (what the engine answered, rewritten). */
function withCandidates(byOriginal: Record<string, Cand[]>) {
  return (r: FillResult): FillResult => ({
    ...r,
    spans: r.spans.map((s) => {
      const cands = byOriginal[s.original]
      if (!cands) return s
      return { ...s, candidates: cands.map((c, i) => ({ text: c.text, tokenIds: [i + 1], confidence: 0.9 - i / 10, ...(c.trimBefore ? { trimBefore: c.trimBefore } : {}) })) }
    }),
  })
}

const readyNote = (page: Page) => page.locator('.toast', { hasText: 'ready.' })

/** Selects the first whole word `word` in the document and masks it (Ctrl+M). */
async function maskWord(page: Page, word: string): Promise<void> {
  await page.evaluate((needle) => {
    const v = (window as any).__infill.editorView()
    let at = -1
    v.state.doc.descendants((node: any, pos: number) => {
      if (at >= 0) return false
      const m = node.isText ? new RegExp(`\\b${needle}\\b`).exec(node.text) : null
      if (m) at = pos + m.index
      return true
    })
    if (at < 0) throw new Error(`"${needle}" is not in the document`)
    const TextSelection = v.state.selection.constructor
    v.dispatch(v.state.tr.setSelection(TextSelection.create(v.state.doc, at, at + needle.length)))
    v.focus()
  }, word)
  await page.keyboard.press('Control+m')
}

test('spaces at span borders follow the fill (deterministic candidates)', async ({ page, host }) => {
  test.setTimeout(240_000)
  await rewriteFills(
    page,
    withCandidates({
      is: [{ text: "'s", trimBefore: 1 }, { text: 'was' }],
      big: [{ text: '', trimBefore: 1 }],
      black: [{ text: 'brown' }],
      Slowly: [{ text: ' Then' }],
    }),
  )
  await openAppWithEngine(page, host)
  const editor = page.getByTestId('editor')
  await editor.click()
  await page.keyboard.type('The man is a cat, and the big black dog sat.', { delay: 2 })
  await page.keyboard.press('Enter')
  await page.keyboard.type('Slowly it ended.', { delay: 2 })
  for (const w of ['is', 'big', 'black', 'Slowly']) await maskWord(page, w)
  await expect(editor.locator('.mark-masked')).toHaveCount(4)
  const before = await documentText(page)
  expect(before).toBe('The man is a cat, and the big black dog sat.\n\nSlowly it ended.')
  await setSampling(page, 2)
  await cursorToEnd(page)
  await page.keyboard.press('Control+Enter')
  const ready = page.locator('[data-testid="fill-board"][data-status="ready"]')
  await expect(ready).toHaveCount(4, { timeout: 180_000 })
  await expect(readyNote(page)).toContainText('4 spans ready')
  // The candidate on show for "is" is "'s": the space before the span is hidden with it.
  await expect(board(page, 's1').getByTestId('cand-text')).toHaveText("'s")
  const hiddenSpace = await page.evaluate(() => [...document.querySelectorAll('.ProseMirror .fill-hidden')].map((e) => e.textContent))
  expect(hiddenSpace).toContain(' ')
  await page.screenshot({ path: screenshotPath('controls-borders-offer') })

  const docAfter: Record<string, string> = {}
  await board(page, 's1').getByTestId('cand-accept').click()
  await expect(ready).toHaveCount(3)
  await expect(readyNote(page)).toContainText('3 spans ready')
  expect(await documentText(page)).toBe('The man\'s a cat, and the big black dog sat.\n\nSlowly it ended.')

  // Undo puts the exact spaces back, and the span is on offer again; redo takes the accept again.
  await page.keyboard.press('Control+z')
  await expect(ready).toHaveCount(4)
  expect(await documentText(page)).toBe(before)
  await page.keyboard.press('Control+Shift+z')
  await expect(ready).toHaveCount(3)
  expect(await documentText(page)).toBe('The man\'s a cat, and the big black dog sat.\n\nSlowly it ended.')

  docAfter[' is'] = await documentText(page)
  for (const [id, original] of [['s2', ' big'], ['s3', 'black'], ['s4', 'Slowly']]) {
    await board(page, id).getByTestId('cand-accept').click()
    await expect(board(page, id)).toHaveCount(0)
    docAfter[original] = await documentText(page)
  }
  await expect(ready).toHaveCount(0)
  await expect(readyNote(page)).toHaveCount(0)
  const after = await documentText(page)
  expect(after).toBe("The man's a cat, and the brown dog sat.\n\nThen it ended.")
  await page.screenshot({ path: screenshotPath('controls-borders-accepted') })

  const logged = await loggedDecisions(page, true)
  expect(logged).toHaveLength(4)
  // Each entry is the document as its decision left it (the border spaces taken in where a candidate removed them).
  expect(logged.map((d) => d.spanOriginal).sort()).toEqual([' big', ' is', 'Slowly', 'black'])
  for (const d of logged) expect(d.prefix + d.finalText + d.suffix, `entry for "${d.spanOriginal}"`).toBe(docAfter[d.spanOriginal])
  const joined = logged.find((d) => d.spanOriginal === ' is')!
  expect(joined).toMatchObject({ action: 'accepted', prefix: 'The man', finalText: "'s", candidates: ["'s"] })
})

test('the real model\'s fills leave no double space and no space at a line start', async ({ page, host }) => {
  test.setTimeout(300_000)
  await openAppWithEngine(page, host)
  await writeAndMask(page, 'Every night the old keeper climbed the narrow stairs to light the lamp.', ['old', 'keeper', 'narrow'])
  await setSampling(page, 2)
  await cursorToEnd(page)
  await page.keyboard.press('Control+Enter')
  const ready = page.locator('[data-testid="fill-board"][data-status="ready"]')
  await expect(ready).toHaveCount(3, { timeout: 240_000 })
  await page.screenshot({ path: screenshotPath('controls-borders-model-offer') })
  const docAfter: Record<string, string> = {}
  for (const [i, id] of ['s1', 's2', 's3'].entries()) {
    await board(page, id).getByTestId('cand-accept').click()
    const n = 2 - i
    await expect(ready).toHaveCount(n)
    if (n > 0) await expect(readyNote(page)).toContainText(`${n} span${n === 1 ? '' : 's'} ready`)
    docAfter[id] = await documentText(page)
  }
  await expect(readyNote(page)).toHaveCount(0)
  const text = await documentText(page)
  await page.screenshot({ path: screenshotPath('controls-borders-model-accepted') })
  expect(text).not.toMatch(/ {2}/)
  expect(text).not.toMatch(/^ /m)
  const logged = await loggedDecisions(page, true)
  expect(logged).toHaveLength(3)
  // Each entry is the document as its decision left it.
  for (const d of logged) expect(d.prefix + d.finalText + d.suffix, `entry of ${d.spanId}`).toBe(docAfter[d.spanId])
})
