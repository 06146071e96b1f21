/**
 * Issue 23 §2 and §4, with fills of the real default model, mouse and keys as a writer uses
 * them: three spans on offer; ↻ on one brings Round 2 and no "3 spans ready" note again; a new
 * mask with the caret in it and Ctrl+Enter fills that mask alone (the spans on offer keep
 * their rounds, the log gains no 'regenerated' entry); a click in the grey margin then
 * Ctrl+Enter puts the caret in the text and says why nothing was filled; near the window's
 * bottom the ☰ list opens upwards, inside the window; in Safe, a second ↻ says it would
 * repeat the round instead of adding it; a reject shows in Recent decisions with the candidate
 * turned down.
 * Screenshots: e2e/artifacts/surface-scope.png, surface-margin.png, surface-list-up.png,
 * surface-safe-repeat.png, surface-recent.png.
 */
import type { Page } from '@playwright/test'
import { captureFillRequests } from './controls-helpers'
import { loggedDecisions, selectWords } from './decisions-helpers'
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'

const PARAGRAPH = 'The old lighthouse stood at the edge of the cliff. Every night its keeper climbed the narrow stairs to light the lamp, and the ships passed safely below.'

type Hooked = { __infill: { editorView(): any } }

/** The spans on offer, in document order: key, round on show and rounds, candidate on show. */
async function offers(page: Page): Promise<{ key: string; round: number; rounds: number; shown: string; from: number; to: number }[]> {
  return page.evaluate(() => {
    const v = (window as unknown as Hooked).__infill.editorView()
    const plugin = v.state.plugins.find((p: any) => p.spec.key?.key?.startsWith('infill-fill$'))
    return plugin
      .getState(v.state)
      .spans.filter((s: any) => s.status === 'ready')
      .sort((a: any, b: any) => a.from - b.from)
      .map((s: any) => ({ key: s.key, round: s.round, rounds: s.rounds.length, shown: s.candidates[s.current].text, from: s.from, to: s.to }))
  })
}

async function caretAt(page: Page, pos: number): Promise<void> {
  await page.evaluate((p) => {
    const v = (window as unknown as Hooked).__infill.editorView()
    const TextSelection = v.state.selection.constructor
    v.dispatch(v.state.tr.setSelection(TextSelection.create(v.state.doc, p)))
    v.focus()
  }, pos)
}

test('requests fill what the writer targeted, and the surface says what happened', async ({ page, host }) => {
  test.setTimeout(600_000)
  const requests = captureFillRequests(page)
  await openAppWithEngine(page, host)
  const editor = page.getByTestId('editor')
  await editor.click()
  await page.keyboard.type(PARAGRAPH, { delay: 1 })
  await page.getByTestId('btn-settings').click()
  await page.getByTestId('set-candidates').fill('3')
  await page.getByTestId('set-temperature').fill('1')
  await page.getByTestId('set-pace').selectOption('instant')
  await page.getByTestId('set-done').click()
  for (const w of ['old lighthouse', 'narrow stairs', 'ships']) {
    await selectWords(page, w)
    await page.keyboard.press('Control+m')
  }
  // Caret in the writer's text, nothing on offer: Ctrl+Enter fills every mask.
  await caretAt(page, 2)
  await page.keyboard.press('Control+Enter')
  const boards = page.locator('[data-testid="fill-board"][data-status="ready"]')
  await expect(boards).toHaveCount(3, { timeout: 180_000 })
  expect(requests.at(-1)!.spans).toHaveLength(3)
  const note = page.getByTestId('toast-info').filter({ hasText: /spans? ready/ })
  await expect(note).toContainText('3 spans ready')
  await expect(note).toHaveCount(0, { timeout: 20_000 })

  // ↻ on the second span: Round 2 for it alone, and no "3 spans ready" again.
  const before = await offers(page)
  await boards.nth(1).getByTestId('cand-regenerate').click()
  await expect(boards.nth(1).getByTestId('cand-round')).toHaveText('Round 2 of 2', { timeout: 180_000 })
  expect(requests.at(-1)!.spans).toHaveLength(1)
  await page.waitForTimeout(1500)
  await expect(note).toHaveCount(0)

  // A new mask, the caret in it, Ctrl+Enter: that mask alone; the spans on offer keep their rounds.
  await selectWords(page, 'safely')
  await page.keyboard.press('Control+m')
  await page.keyboard.press('ArrowLeft')
  const sent = requests.length
  await page.keyboard.press('Control+Enter')
  await expect(boards).toHaveCount(4, { timeout: 180_000 })
  expect(requests.length).toBe(sent + 1)
  const asked = requests.at(-1)!
  expect(asked.spans.map((s) => asked.text.slice(s.from, s.to))).toEqual(['safely'])
  const after = await offers(page)
  expect(after.map((o) => o.rounds)).toEqual([1, 2, 1, 1])
  expect(after[0].key).toBe(before[0].key)
  expect(after[2].key).toBe(before[2].key)
  await expect(boards.nth(1).getByTestId('cand-round')).toHaveText('Round 2 of 2')
  // The log: only the ↻ turned a round down.
  expect((await loggedDecisions(page)).map((d) => d.action)).toEqual(['regenerated'])
  await page.screenshot({ path: screenshotPath('surface-scope') })

  // A click in the grey margin beside the first line, then Ctrl+Enter: the caret is in the
  // text, every mask is on offer, and it says so rather than nothing.
  const line = await editor.evaluate((e) => e.getBoundingClientRect().top + 20)
  await page.mouse.click(60, line)
  await expect(editor).toBeFocused()
  const sentBefore = requests.length
  await page.keyboard.press('Control+Enter')
  await expect(page.getByTestId('toast-info').filter({ hasText: 'Every masked span already has candidates on offer' })).toBeVisible()
  expect(requests.length).toBe(sentBefore)
  await page.screenshot({ path: screenshotPath('surface-margin') })

  // Near the window's bottom (a window as short as to leave 40 px of the desk under the bar)
  // the ☰ list opens upwards and stays inside what can be seen.
  const second = boards.nth(1)
  // (The notes above go first: the desk gives way to them.)
  await expect(page.locator('.toast')).toHaveCount(0, { timeout: 30_000 })
  const toggleAt = (await second.getByTestId('cand-all').boundingBox())!
  const statusBar = (await page.locator('.statusbar, [data-testid="statusbar"]').first().boundingBox())?.height ?? 30
  const height = Math.round(toggleAt.y + toggleAt.height + 40 + statusBar)
  await page.setViewportSize({ width: 1280, height })
  await second.getByTestId('cand-all').click()
  const list = second.getByTestId('cand-list')
  await expect(list).toBeVisible()
  await expect(list).toHaveAttribute('data-placement', 'above')
  const box = (await list.boundingBox())!
  const desk = (await page.getByTestId('desk').boundingBox())!
  expect(box.y).toBeGreaterThanOrEqual(desk.y)
  expect(box.y + box.height).toBeLessThanOrEqual(desk.y + desk.height)
  // Every round's candidates are in it (scrolling within the room it has).
  const rounds = (await offers(page))[1]
  expect(rounds.rounds).toBe(2)
  expect(await list.getByTestId('cand-pick').count()).toBeGreaterThanOrEqual(6)
  await expect(list.getByTestId('cand-round-heading')).toHaveText([/^Round 2/, /^Round 1/])
  await page.screenshot({ path: screenshotPath('surface-list-up') })
  await page.keyboard.press('Escape')
  await page.setViewportSize({ width: 1280, height: 860 })

  // Safe: ↻ gives a Safe round once; asked again with nothing changed, it says it would repeat it.
  await page.getByTestId('btn-settings').click()
  await page.getByTestId('set-temperature').fill('0')
  await page.getByTestId('set-done').click()
  await boards.nth(1).getByTestId('cand-regenerate').click()
  await expect(boards.nth(1).getByTestId('cand-round')).toHaveText('Round 3 of 3', { timeout: 180_000 })
  const sentSafe = requests.length
  await boards.nth(1).getByTestId('cand-regenerate').click()
  await expect(page.getByTestId('toast-info').filter({ hasText: 'would only repeat Round 3 exactly' })).toBeVisible()
  expect(requests.length).toBe(sentSafe)
  await expect(boards.nth(1).getByTestId('cand-round')).toHaveText('Round 3 of 3')
  await page.screenshot({ path: screenshotPath('surface-safe-repeat') })

  // A reject: Recent decisions shows the candidate turned down, and the original kept.
  const third = (await offers(page))[2]
  await caretAt(page, third.from + 1)
  await page.keyboard.press('Escape')
  await expect(boards).toHaveCount(3)
  await page.getByTestId('btn-preferences').click()
  const row = page.locator('[data-testid="prefs-decision"][data-action="rejected_all"]').first()
  await expect(row).toBeVisible()
  if (third.shown.trim()) await expect(row.getByTestId('prefs-decision-turned-down')).toContainText(third.shown.trim().slice(0, 30))
  await expect(row.getByTestId('prefs-decision-kept')).toContainText('kept your “ships”')
  await page.screenshot({ path: screenshotPath('surface-recent') })
})
