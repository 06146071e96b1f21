/**
 * Accept-and-edit: the writer takes a candidate and rewrites it; what they typed is locked
 * writer text, and the decision is logged as 'accepted_edited' with their final text as
 * the chosen side of every pair.
 */
import { expect, openAppWithEngine, test } from './fixtures'
import { selectText } from './writer-helpers'

test('an accepted fill the writer edits is logged as accepted_edited', async ({ page, host }) => {
  test.setTimeout(180_000)
  await openAppWithEngine(page, host)
  const editor = page.getByTestId('editor')
  await editor.click()
  await page.keyboard.type('The sea was calm and the sky was clear over the bay.')
  await selectText(page, 'calm')
  await page.keyboard.press('Control+m')
  await page.getByTestId('btn-settings').click()
  await page.getByTestId('set-candidates').fill('2')
  await page.getByTestId('set-pace').selectOption('instant')
  await page.getByTestId('set-done').click()
  await page.keyboard.press('Control+End')
  await page.keyboard.press('Control+Enter')
  const board = page.locator('[data-testid="fill-board"][data-status="ready"]')
  await expect(board).toHaveCount(1, { timeout: 120_000 })
  // A candidate that joins the word before it (a comma, "'s") takes the space before its
  // span with it (README: spaces around a fill); typing over it then starts right there.
  const sep = await page.evaluate(() => {
    const v = (window as any).__infill.editorView()
    const plugin = v.state.plugins.find((p: any) => p.spec.key?.key?.startsWith('infill-fill$'))
    const s = plugin.getState(v.state).spans.find((x: any) => x.status === 'ready')
    return (s.candidates[s.current].trimBefore ?? 0) > 0 ? '' : ' '
  })
  await board.getByTestId('cand-edit').click()
  // The candidate is in the text and selected; the writer types over it.
  await page.keyboard.type('restless')
  await expect(editor).toContainText(`The sea was${sep}restless and the sky`)
  await expect(editor.locator('.mark-locked', { hasText: 'restless' })).toHaveCount(1)
  await page.keyboard.press('Control+End') // leaves the edited text: the decision is logged

  await page.getByTestId('btn-preferences').click()
  const panel = page.getByTestId('prefs-panel')
  await expect(panel.getByTestId('prefs-count-accepted_edited')).toHaveText('1')
  await expect(panel.getByTestId('prefs-total')).toHaveText('1')
  const pairs = panel.getByTestId('prefs-pair')
  expect(await pairs.count()).toBeGreaterThan(0)
  for (const chosen of await pairs.locator('.pair-chosen').allTextContents()) expect(chosen).toContain('restless')

  // Logging can be turned off, and the log cleared after a confirmation.
  await panel.getByTestId('prefs-enabled').uncheck()
  await expect(panel.getByTestId('prefs-enabled')).not.toBeChecked()
  await panel.getByTestId('prefs-enabled').check()
  await panel.getByTestId('prefs-clear').click()
  await expect(panel.getByTestId('prefs-confirm-clear')).toBeVisible()
  await panel.getByTestId('prefs-clear-confirm').click()
  await expect(panel.getByTestId('prefs-total')).toHaveText('0')
  await expect(panel.getByTestId('prefs-error')).toHaveCount(0)
})
