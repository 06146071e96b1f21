/**
 * Issue 16 §3 (second half): earlier rounds kept per span and reachable again, also after undo.
 * A writer rewrites a phrase, asks again twice (↻, then Shorter + Ctrl+Enter), opens ☰ (every
 * round, newest first, each under its heading), picks a candidate of round 1 with the keys and
 * accepts it (Tab); undo brings all three rounds back; a mouse pick from round 2 is accepted.
 * The log holds every round's shown candidates with chosenIndex on the picked one.
 * Screenshots: e2e/artifacts/controls-rounds-list.png, -picked.png, -undone.png.
 */
import type { Page } from '@playwright/test'
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'
import { loggedDecisions } from './decisions-helpers'
import { editorSnapshot, selectText } from './writer-helpers'

const PARAGRAPH = 'The old lighthouse stood at the edge of the cliff. Every night its keeper climbed the narrow stairs to light the lamp.'

type Hooked = { __infill: { editorView(): any } }

/** The rounds of the span on offer, from the editor's fill state: each round's label and candidate texts. */
async function rounds(page: Page): Promise<{ label: string; texts: string[] }[]> {
  return page.evaluate(() => {
    const v = (window as unknown as Hooked).__infill.editorView()
    const plugin = v.state.plugins.find((p: any) => p.spec.key?.key?.startsWith('infill-fill$'))
    const s = plugin.getState(v.state).spans.find((x: any) => x.status === 'ready')
    return s ? s.rounds.map((r: any) => ({ label: r.label, texts: r.candidates.map((c: any) => c.text) })) : []
  })
}

test('earlier rounds stay reachable from the list, also after undo', async ({ page, host }) => {
  test.setTimeout(420_000)
  await openAppWithEngine(page, host)
  const editor = page.getByTestId('editor')
  await editor.click()
  await page.keyboard.type(PARAGRAPH, { delay: 2 })
  await page.getByTestId('btn-settings').click()
  await page.getByTestId('set-candidates').fill('3')
  await page.getByTestId('set-temperature').fill('1')
  await page.getByTestId('set-pace').selectOption('instant')
  await page.getByTestId('set-done').click()

  // Round 1: Rewrite (Ctrl+Enter on the selection).
  await selectText(page, 'climbed the narrow stairs')
  await page.keyboard.press('Control+Enter')
  const board = page.locator('[data-testid="fill-board"][data-status="ready"]')
  await expect(board).toHaveCount(1, { timeout: 180_000 })
  await expect(board.getByTestId('cand-round')).toHaveCount(0) // one round: no round tag

  // Round 2: ↻ on the bar.
  await board.getByTestId('cand-regenerate').click()
  await expect(board).toHaveCount(1, { timeout: 180_000 })
  await expect(board.getByTestId('cand-round')).toHaveText('Round 2 of 2', { timeout: 180_000 })

  // Round 3: Shorter with the caret in the span (the offer stays), then Ctrl+Enter.
  await board.getByTestId('cand-text').click()
  await page.getByTestId('btn-shorter').click()
  await expect(board).toHaveCount(1)
  await expect(board.getByTestId('cand-round')).toHaveText('Round 2 of 2')
  await page.keyboard.press('Control+Enter')
  await expect(board.getByTestId('cand-round')).toHaveText('Round 3 of 3', { timeout: 180_000 })
  const all = await rounds(page)
  expect(all.map((r) => r.label)).toEqual(['Fairly wild', 'Fairly wild', 'Shorter · Fairly wild'])

  // The list: every round, newest first, each under its heading.
  await board.getByTestId('cand-all').click()
  const list = board.getByTestId('cand-list')
  await expect(list).toBeVisible()
  await expect(list.getByTestId('cand-round-heading')).toHaveText(['Round 3 · Shorter · Fairly wild', 'Round 2 · Fairly wild', 'Round 1 · Fairly wild'])
  const picks = list.getByTestId('cand-pick')
  await expect(picks).toHaveCount(9)
  await expect(picks.nth(0)).toBeFocused() // the candidate on show: round 3's first
  await page.screenshot({ path: screenshotPath('controls-rounds-list') })

  // Keys: End, ↑ reach round 1's second candidate; Enter picks it; Tab accepts it.
  await page.keyboard.press('End')
  await page.keyboard.press('ArrowUp')
  await expect(picks.nth(7)).toBeFocused()
  await expect(picks.nth(7)).toHaveAttribute('data-round', '0')
  await page.keyboard.press('Enter')
  await expect(list).toBeHidden()
  await expect(board.getByTestId('cand-round')).toHaveText('Round 1 of 3')
  await expect(board.getByTestId('cand-counter')).toHaveText('2/3')
  const picked = all[0].texts[1]
  await expect(board.getByTestId('cand-text')).toHaveText(picked.trim() ? picked : '∅')
  await page.screenshot({ path: screenshotPath('controls-rounds-picked') })
  await page.keyboard.press('Tab')
  await expect(board).toHaveCount(0)
  if (picked.trim()) expect((await editorSnapshot(page)).text).toContain(picked.trim())

  let logged = await loggedDecisions(page, true)
  expect(logged.map((d) => d.action)).toEqual(['accepted', 'regenerated', 'regenerated'])
  const first = logged[0]
  // Shown: round 1's first and second, round 2's first, round 3's first (oldest round first).
  expect(first.candidates.map((t) => t.trim())).toEqual([all[0].texts[0], all[0].texts[1], all[1].texts[0], all[2].texts[0]].map((t) => t.trim()))
  expect(first.chosenIndex).toBe(1)
  expect(first.candidates[first.chosenIndex!]).toBe(first.finalText)
  expect(first.finalText.trim()).toBe(picked.trim())
  // Round 1's 'regenerated' entry said its candidates were turned down: the accept takes it back.
  await expect.poll(async () => (await loggedDecisions(page)).map((d) => [d.action, !!d.retractedAt])).toEqual([
    ['accepted', false],
    ['regenerated', false],
    ['regenerated', true],
  ])

  // Undo: the span is back with all three rounds, round 1's pick on show; the decision is retracted.
  await page.keyboard.press('Control+z')
  await expect(board).toHaveCount(1)
  await expect(board.getByTestId('cand-round')).toHaveText('Round 1 of 3')
  await expect(board.getByTestId('cand-counter')).toHaveText('2/3')
  expect(await rounds(page)).toEqual(all)
  await expect.poll(async () => (await loggedDecisions(page))[0].retractedAt ?? null).not.toBeNull()
  await board.getByTestId('cand-all').click()
  await expect(list.getByTestId('cand-round-heading')).toHaveCount(3)
  await expect(picks).toHaveCount(9)
  await page.screenshot({ path: screenshotPath('controls-rounds-undone') })

  // Mouse: round 2's third candidate, then ✓.
  await list.locator('[data-testid="cand-pick"][data-round="1"][data-index="2"]').click()
  await expect(board.getByTestId('cand-round')).toHaveText('Round 2 of 3')
  await expect(board.getByTestId('cand-counter')).toHaveText('3/3')
  await board.getByTestId('cand-accept').click()
  await expect(board).toHaveCount(0)
  logged = await loggedDecisions(page, true)
  const second = logged[0]
  expect(second.action).toBe('accepted')
  expect(second.retractedAt ?? null).toBeNull()
  // Round 1: first, second; round 2: first, third; round 3: first.
  expect(second.candidates.map((t) => t.trim())).toEqual([all[0].texts[0], all[0].texts[1], all[1].texts[0], all[1].texts[2], all[2].texts[0]].map((t) => t.trim()))
  expect(second.chosenIndex).toBe(3)
  expect(second.candidates[second.chosenIndex!]).toBe(second.finalText)
  expect(second.finalText.trim()).toBe(all[1].texts[2].trim())
})
