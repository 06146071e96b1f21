/**
 * A writer's session on the default model, in browser mode (issue 5's acceptance test):
 * type a paragraph, lock a sentence, mask two separate spans, regenerate with three
 * candidates, watch the reveal half-way, cycle candidates, accept span 1, reject span 2,
 * undo, redo, save, reopen with the marks intact — the locked sentence byte-identical
 * throughout — and end with a preference export whose pairs match what the writer did.
 * Screenshots: e2e/artifacts/writer-reveal-halfway.png, writer-candidates.png, ...
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'
import { cursorToEnd, editorSnapshot, selectText } from './writer-helpers'
import { shownSeparator } from './decisions-helpers'

const PARAGRAPH =
  'The old lighthouse stood at the edge of the cliff. Every night its keeper climbed the narrow stairs to light the lamp. ' +
  'He had never missed a single night in forty years. Ships passed safely through the strait below.'
const LOCKED = 'He had never missed a single night in forty years.'
const SPAN1 = 'old lighthouse'
const SPAN2 = 'climbed the narrow stairs'

test('a writer masks, regenerates, chooses, undoes, saves and reopens', async ({ page, host }) => {
  test.setTimeout(300_000)
  const problems: string[] = []
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
  page.on('pageerror', (e) => problems.push(e.message))
  await openAppWithEngine(page, host)
  await expect(page.getByTestId('legend')).toBeVisible()

  // --- Type a paragraph (typed text is locked as it is written) ------------------------
  await page.getByTestId('editor').click()
  await page.keyboard.type(PARAGRAPH, { delay: 2 })
  const editor = page.getByTestId('editor')
  await expect(editor).toHaveText(PARAGRAPH)

  // --- Unlock everything, then lock one sentence ---------------------------------------
  await page.keyboard.press('Control+a')
  await page.keyboard.press('Control+l')
  await expect(editor.locator('.mark-locked')).toHaveCount(0)
  await selectText(page, LOCKED)
  await page.getByTestId('btn-lock').click()
  await expect(editor.locator('.mark-locked')).toHaveText([LOCKED])
  const lockedIntact = async () => {
    await expect(editor.locator('.mark-locked').filter({ hasText: LOCKED })).toHaveText(LOCKED)
    expect((await editorSnapshot(page)).text).toContain(LOCKED)
  }

  // --- Mask two separate spans, each with its own slot budget --------------------------
  await selectText(page, SPAN1)
  await page.keyboard.press('Control+m')
  await expect(page.getByTestId('span-length-value')).toContainText('words')
  await page.getByTestId('len-min').fill('2') // a length in words for its next fill
  await page.getByTestId('len-max').fill('3')
  await page.getByTestId('len-max').press('Enter')
  await expect(page.getByTestId('span-length-value')).toHaveText('2–3 words')
  await selectText(page, SPAN2)
  await page.keyboard.press('Control+m')
  await page.getByTestId('len-min').fill('3')
  await page.getByTestId('len-max').fill('4')
  await page.getByTestId('len-max').press('Enter')
  await expect(page.getByTestId('span-length-value')).toHaveText('3–4 words')
  await expect(editor.locator('.mark-masked')).toHaveText([SPAN1, SPAN2])
  await lockedIntact()

  // --- Settings: low-confidence remasking, one slot per step, three candidates ----------
  await page.getByTestId('btn-settings').click()
  await page.getByTestId('set-advanced').click()
  await page.getByTestId('set-strategy').selectOption('low_confidence')
  await page.getByTestId('set-steps').fill('8')
  await page.getByTestId('set-temperature').fill('0.6')
  await page.getByTestId('set-seed').fill('7')
  await page.getByTestId('set-candidates').fill('3')
  await page.getByTestId('set-pace').selectOption('slow')
  await page.getByTestId('btn-settings').click()
  await page.screenshot({ path: screenshotPath('writer-masked') })

  // --- Regenerate and watch the reveal --------------------------------------------------
  await editor.click({ position: { x: 40, y: 400 } })
  await cursorToEnd(page)
  await page.keyboard.press('Control+Enter')
  const boards = page.getByTestId('fill-board')
  await expect(boards).toHaveCount(2)
  await expect(page.getByTestId('btn-stop')).toBeVisible()
  // Half-way: some but not all slots of a span revealed (and about half of all slots).
  await page.waitForFunction(
    () => {
      const bs = [...document.querySelectorAll<HTMLElement>('[data-testid="fill-board"][data-status="filling"]')]
      const revealed = bs.reduce((n, b) => n + Number(b.dataset.revealed), 0)
      const slots = bs.reduce((n, b) => n + Number(b.dataset.slots), 0)
      return bs.length === 2 && revealed >= slots * 0.4 && bs.some((b) => Number(b.dataset.revealed) > 0 && Number(b.dataset.revealed) < Number(b.dataset.slots))
    },
    undefined,
    { timeout: 60_000, polling: 'raf' },
  )
  await page.screenshot({ path: screenshotPath('writer-reveal-halfway') })
  const partial = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('[data-testid="fill-board"]')].map((b) => ({ status: b.dataset.status, revealed: Number(b.dataset.revealed), slots: Number(b.dataset.slots) })),
  )
  expect(partial.some((b) => b.status === 'filling' && b.revealed > 0 && b.revealed < b.slots)).toBe(true)
  // The writer keeps typing elsewhere while the model fills.
  await page.keyboard.type(' Gulls cried.', { delay: 5 })
  await expect(editor).toContainText('strait below. Gulls cried.')

  // --- Candidates -----------------------------------------------------------------------
  await expect(page.locator('[data-testid="fill-board"][data-status="ready"]')).toHaveCount(2, { timeout: 120_000 })
  const board1 = page.locator('[data-testid="fill-board"][data-span-id="s1"]')
  const board2 = page.locator('[data-testid="fill-board"][data-span-id="s2"]')
  await expect(board1.getByTestId('cand-counter')).toHaveText('1/3')
  await page.screenshot({ path: screenshotPath('writer-candidates') })

  /** Every candidate a board offers, by cycling through them with its › button. */
  const readCandidates = async (board: typeof board1): Promise<string[]> => {
    const texts: string[] = []
    for (let i = 0; i < 3; i++) {
      await expect(board.getByTestId('cand-counter')).toHaveText(`${i + 1}/3`)
      texts.push((await board.getByTestId('cand-text').textContent()) ?? '')
      await board.getByTestId('cand-next').click()
    }
    await expect(board.getByTestId('cand-counter')).toHaveText('1/3')
    return texts.map((t) => (t === '∅' ? '' : t))
  }
  const cands1 = await readCandidates(board1)
  const cands2 = await readCandidates(board2)
  // Keyboard cycling acts on the span whose candidate bar has focus (or under the caret).
  await board1.getByTestId('cand-next').focus()
  await page.keyboard.press('Alt+]')
  await expect(board1.getByTestId('cand-counter')).toHaveText('2/3')
  await page.keyboard.press('Alt+]')
  await page.keyboard.press('Alt+[')
  await expect(board2.getByTestId('cand-counter')).toHaveText('1/3')
  await expect(board1.getByTestId('cand-counter')).toHaveText('2/3')
  await lockedIntact()

  // --- Accept candidate 2 in span 1, reject span 2 --------------------------------------
  // '' when the candidate joins the word before it ("'s", a comma): it takes the space before the span.
  const sep1 = await shownSeparator(page, 's1')
  await board1.getByTestId('cand-accept').click()
  const chosen = cands1[1]
  await expect(board1).toHaveCount(0)
  const generatedSpan = editor.locator('.mark-generated')
  if (chosen.trim()) {
    await expect(generatedSpan).toHaveText([chosen])
    await expect(generatedSpan).toHaveAttribute('title', /request/)
  }
  await board2.getByTestId('cand-reject').click()
  await expect(boards).toHaveCount(0)
  await expect(editor.locator('.mark-masked')).toHaveCount(0)
  const afterDecisions = await editorSnapshot(page)
  expect(afterDecisions.text).toBe(PARAGRAPH.replace(` ${SPAN1}`, sep1 + chosen) + ' Gulls cried.')
  await lockedIntact()
  await page.screenshot({ path: screenshotPath('writer-decided') })

  // --- Undo, redo -----------------------------------------------------------------------
  await editor.focus()
  await page.keyboard.press('Control+z') // undoes the reject: span 2 is masked again, its candidates back on offer
  await expect(editor.locator('.mark-masked')).toHaveText([SPAN2])
  await expect(board2.getByTestId('cand-counter')).toHaveText('1/3')
  await page.keyboard.press('Control+z') // undoes the accept: span 1's original returns, masked, with its candidates
  await expect(editor.locator('.mark-masked')).toHaveText([SPAN1, SPAN2])
  await expect(board1.getByTestId('cand-counter')).toHaveText('2/3')
  await lockedIntact()
  await page.keyboard.press('Control+Shift+z')
  await page.keyboard.press('Control+Shift+z')
  await expect(editor.locator('.mark-masked')).toHaveCount(0)
  expect((await editorSnapshot(page)).json).toEqual(afterDecisions.json)
  await lockedIntact()

  // --- Save, then reopen with the marks intact -------------------------------------------
  await page.keyboard.press('Control+s')
  await page.getByTestId('save-name').fill('lighthouse.md')
  await page.getByTestId('save-confirm').click()
  await expect(page.getByTestId('dirty')).toHaveAttribute('data-dirty', 'false')
  await expect(page.getByTestId('doc-title')).toHaveText('lighthouse.md')
  const saved = readFileSync(join(host.workspace, 'lighthouse.md'), 'utf8')
  expect(saved).toContain(LOCKED)
  expect(saved).toContain(SPAN2)

  await page.getByTestId('btn-new').click()
  await expect(editor).toHaveText('')
  await page.getByTestId('btn-open').click()
  await page.locator('[data-testid="file-entry"][data-name="lighthouse.md"]').click()
  await expect(page.getByTestId('doc-title')).toHaveText('lighthouse.md')
  const reopened = await editorSnapshot(page)
  expect(reopened.json).toEqual(afterDecisions.json)
  await lockedIntact()
  if (chosen.trim()) await expect(editor.locator('.mark-generated')).toHaveText([chosen])
  await page.screenshot({ path: screenshotPath('writer-reopened') })

  // --- The preference export matches what the writer did ---------------------------------
  await page.getByTestId('btn-preferences').click()
  const panel = page.getByTestId('prefs-panel')
  await expect(panel.getByTestId('prefs-total')).toHaveText('2')
  await expect(panel.getByTestId('prefs-count-accepted')).toHaveText('1')
  await expect(panel.getByTestId('prefs-count-rejected_all')).toHaveText('1')
  await panel.getByTestId('prefs-format').selectOption('standard')
  await panel.getByTestId('prefs-export-name').fill('session-prefs.jsonl')
  await panel.getByTestId('prefs-export').click()
  await expect(panel.getByTestId('prefs-exported')).toContainText('session-prefs.jsonl')
  await page.screenshot({ path: screenshotPath('writer-preferences') })

  const lines = readFileSync(join(host.workspace, 'session-prefs.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { prompt: string; chosen: string; rejected: string; action: string; span_original: string; prefix: string; suffix: string })
  const others = (all: string[], chosenText: string) => [...new Set(all)].filter((c) => c !== chosenText)
  const expected = [
    ...others(cands1, chosen).map((r) => ({ action: 'accepted', chosen, rejected: r, span_original: SPAN1 })),
    ...others(cands2, SPAN2).map((r) => ({ action: 'rejected_all', chosen: SPAN2, rejected: r, span_original: SPAN2 })),
  ]
  // (An entry takes in the space before its span when one of its candidates joins the word before: ' old lighthouse'.)
  const got = lines.map((l) => ({ action: l.action, chosen: l.chosen.trimStart(), rejected: l.rejected.trimStart(), span_original: l.span_original.trimStart() }))
  const key = (p: { action: string; rejected: string }) => `${p.action}|${p.rejected}`
  expect([...got].sort((a, b) => key(a).localeCompare(key(b)))).toEqual([...expected].sort((a, b) => key(a).localeCompare(key(b))))
  // No script errors and no Content-Security-Policy violations on the way.
  expect(problems).toEqual([])
  for (const l of lines) {
    expect(l.prompt.length).toBeGreaterThan(0)
    expect(l.prefix + l.span_original + l.suffix).toContain(l.span_original === SPAN1 ? 'The old lighthouse stood' : 'keeper climbed the narrow stairs to')
  }
})
