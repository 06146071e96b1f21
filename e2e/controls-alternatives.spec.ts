/**
 * Issue 16 §3 (first half): all candidates of a span in one list to pick from. The ☰ on a
 * candidate bar opens every candidate's text; picking one shows it in the text as cycling
 * to it would, and Tab accepts it. Screenshot: e2e/artifacts/controls-alternatives.png.
 */
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'
import { editorSnapshot, selectText } from './writer-helpers'

const PARAGRAPH = 'The old lighthouse stood at the edge of the cliff. Every night its keeper climbed the narrow stairs to light the lamp.'

test('every candidate of a span in one list; picking one shows it', async ({ page, host }) => {
  test.setTimeout(240_000)
  await openAppWithEngine(page, host)
  const editor = page.getByTestId('editor')
  await editor.click()
  await page.keyboard.type(PARAGRAPH, { delay: 2 })
  await page.getByTestId('btn-settings').click()
  await page.getByTestId('set-candidates').fill('3')
  await page.getByTestId('set-temperature').fill('1')
  await page.getByTestId('set-done').click()
  await selectText(page, 'climbed the narrow stairs')
  await page.keyboard.press('Control+Enter')
  const board = page.locator('[data-testid="fill-board"][data-status="ready"]')
  await expect(board).toHaveCount(1, { timeout: 180_000 })
  await expect(board.getByTestId('cand-counter')).toHaveText('1/3')

  await board.getByTestId('cand-all').click()
  const list = board.getByTestId('cand-list')
  await expect(list).toBeVisible()
  const picks = list.getByTestId('cand-pick')
  await expect(picks).toHaveCount(3)
  await expect(picks.nth(0)).toHaveAttribute('aria-selected', 'true')
  const texts = (await picks.allTextContents()).map((t) => t.trim())
  await page.screenshot({ path: screenshotPath('controls-alternatives') })
  await picks.nth(2).click()
  await expect(board.getByTestId('cand-counter')).toHaveText('3/3')
  await expect(list).toBeHidden()
  const shown = ((await board.getByTestId('cand-text').textContent()) ?? '').trim()
  expect(shown === texts[2] || (shown === '∅' && texts[2].startsWith('∅'))).toBe(true)
  // Esc inside the open list closes the list, not the offer.
  await board.getByTestId('cand-all').click()
  await expect(list).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(list).toBeHidden()
  await expect(board).toHaveCount(1)
  await board.getByTestId('cand-accept').click()
  await expect(board).toHaveCount(0)
  if (texts[2] && !texts[2].startsWith('∅')) expect((await editorSnapshot(page)).text).toContain(texts[2])
})
