/**
 * Writing during a fill: the writer rewrites a paragraph holding one of the spans being
 * filled — that span's fill is dropped with a visible note, the other span still gets its
 * candidates — and the Stop button cancels a fill, leaving the masks as they were.
 */
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'
import { editorSnapshot, selectText } from './writer-helpers'

test('a span the writer edits during a fill is dropped, the others apply; Stop cancels', async ({ page, host }) => {
  test.setTimeout(240_000)
  await openAppWithEngine(page, host)
  const editor = page.getByTestId('editor')
  await editor.click()
  await page.keyboard.type('The harbour was quiet in the early morning light.')
  await page.keyboard.press('Enter')
  await page.keyboard.type('A fisherman mended his nets by the old stone wall.')

  await selectText(page, 'quiet')
  await page.keyboard.press('Control+m')
  await selectText(page, 'mended his nets')
  await page.keyboard.press('Control+m')
  await expect(editor.locator('.mark-masked')).toHaveText(['quiet', 'mended his nets'])

  await page.getByTestId('btn-settings').click()
  await page.getByTestId('set-advanced').click()
  await page.getByTestId('set-strategy').selectOption('low_confidence')
  await page.getByTestId('set-steps').fill('12')
  await page.getByTestId('set-pace').selectOption('slow')
  await page.getByTestId('set-done').click()

  // Fill, and rewrite the second paragraph while it runs.
  await page.keyboard.press('Control+End')
  await page.getByTestId('btn-regenerate').click()
  await expect(page.getByTestId('fill-board')).toHaveCount(2)
  await page.getByText('by the old stone wall.').click({ clickCount: 3 })
  await page.keyboard.type('The nets lay drying in the sun.')
  await expect(page.getByTestId('drop-note')).toBeVisible()
  await expect(page.getByTestId('drop-note')).toHaveAttribute('title', /edited this span/)
  await expect(page.getByTestId('toast-info').filter({ hasText: 'edited this span' })).toBeVisible()
  await page.screenshot({ path: screenshotPath('writer-dropped') })
  const first = page.locator('[data-testid="fill-board"][data-span-id="s1"]')
  await expect(first).toHaveAttribute('data-status', 'ready', { timeout: 120_000 })
  await expect(page.locator('[data-testid="fill-board"][data-status="ready"]')).toHaveCount(1)
  await first.getByTestId('cand-accept').click()
  const text = (await editorSnapshot(page)).text
  expect(text).toContain('The nets lay drying in the sun.')
  expect(text).not.toContain('quiet')
  await expect(editor.locator('.mark-generated')).toHaveCount((await editor.locator('.mark-generated').count()) > 0 ? 1 : 0)

  // Stop: mask again, start, stop; the masked text is back as it was.
  await selectText(page, 'drying')
  await page.keyboard.press('Control+m')
  await page.getByTestId('len-min').fill('12') // room for many steps
  await page.getByTestId('len-max').fill('16')
  await page.getByTestId('len-max').press('Enter')
  await page.keyboard.press('Control+End')
  await page.keyboard.press('Control+Enter')
  await expect(page.getByTestId('fill-board')).toHaveCount(1)
  await page.getByTestId('btn-stop').click()
  await expect(page.getByTestId('fill-board')).toHaveCount(0, { timeout: 30_000 })
  await expect(page.getByTestId('btn-regenerate')).toBeVisible()
  await expect(editor.locator('.mark-masked')).toHaveText(['drying'])
})
