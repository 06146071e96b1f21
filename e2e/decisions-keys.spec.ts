/**
 * Why (issue 11): with the caret outside every span, Tab accepted the next span and a second
 * Esc rejected a span the caret was not in. Keys must act on the span under the caret (or
 * whose candidate bar has focus); elsewhere Tab stays in the editor and Esc does nothing.
 */
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'
import { board, caretAt, documentText, fillAll, loggedDecisions, setSampling, shownCandidate, shownSeparator, spanRange, writeAndMask } from './decisions-helpers'

const TEXT = 'The lamp burned all night. Its keeper climbed the stairs at dawn.'

test('Tab, Esc and Alt-[ / Alt-] act only on the span under the caret or the focused candidate bar', async ({ page, host }) => {
  test.setTimeout(240_000)
  await openAppWithEngine(page, host)
  await writeAndMask(page, TEXT, ['burned', 'climbed'])
  await setSampling(page, 3)
  await fillAll(page, 2)
  const ready = page.locator('[data-testid="fill-board"][data-status="ready"]')
  const editor = page.getByTestId('editor')

  // The caret at the end, in no span: Tab inserts a tab and stays in the editor; Esc twice decides nothing.
  const before = await documentText(page)
  await page.keyboard.press('Tab')
  await page.keyboard.press('Escape')
  await page.keyboard.press('Escape')
  await page.keyboard.press('Alt+]')
  await expect(ready).toHaveCount(2)
  expect(await documentText(page)).toBe(before + '\t')
  expect(await editor.evaluate((e) => e.contains(document.activeElement))).toBe(true)
  expect(await loggedDecisions(page, true)).toEqual([])
  await page.screenshot({ path: screenshotPath('decisions-keys-outside') })

  // Focus on span 2's candidate bar: Alt-] cycles span 2 only, Esc rejects span 2 only.
  await board(page, 's2').getByTestId('cand-next').focus()
  await page.keyboard.press('Alt+]')
  await expect(board(page, 's2').getByTestId('cand-counter')).toHaveText('2/3')
  await expect(board(page, 's1').getByTestId('cand-counter')).toHaveText('1/3')
  await page.keyboard.press('Escape')
  await expect(ready).toHaveCount(1)
  await expect(board(page, 's1')).toHaveCount(1)

  // The caret inside span 1: Tab accepts span 1, the candidate on show.
  const r = await spanRange(page, 's1')
  const shown = await shownCandidate(page, 's1')
  const sep = await shownSeparator(page, 's1')
  await caretAt(page, r.to)
  await page.keyboard.press('Tab')
  await expect(ready).toHaveCount(0)
  expect(await documentText(page)).toContain(`The lamp${sep}${shown} all night.`)

  const logged = (await loggedDecisions(page, true)).reverse()
  // (An entry takes in the space before its span when a candidate joins the word before: ' climbed'.)
  expect(logged.map((d) => [d.spanOriginal.trimStart(), d.action])).toEqual([
    ['climbed', 'rejected_all'],
    ['burned', 'accepted'],
  ])
  // The reject turned down the candidates shown on span 2's bar: the first and the one cycled to.
  expect(logged[0].candidates).toHaveLength(2)
  expect(logged[1].finalText.trimStart()).toBe(shown)
})
