/**
 * Issue 16 §5: popovers close on Esc and on a press outside; New puts the caret in the editor.
 * Screenshot: e2e/artifacts/controls-popovers.png (Settings open, before Esc).
 */
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'

test('settings and shortcuts close on Esc and outside presses; New focuses the editor', async ({ page, host }) => {
  await openAppWithEngine(page, host)
  const editor = page.getByTestId('editor')

  // New: the caret is in the editor, typing goes to the text.
  await page.getByTestId('btn-new').click()
  await page.keyboard.type('Fresh page.', { delay: 2 })
  await expect(editor).toHaveText('Fresh page.')

  const settings = page.getByTestId('settings')
  await page.getByTestId('btn-settings').click()
  await expect(settings).toBeVisible()
  await page.screenshot({ path: screenshotPath('controls-popovers') })
  await page.keyboard.press('Escape')
  await expect(settings).toBeHidden()
  // Esc gave the caret back to the text.
  await page.keyboard.type(' More.', { delay: 2 })
  await expect(editor).toHaveText('Fresh page. More.')

  await page.getByTestId('btn-settings').click()
  await expect(settings).toBeVisible()
  await page.getByTestId('set-candidates').fill('2') // presses inside keep it open
  await expect(settings).toBeVisible()
  await page.mouse.click(100, 600) // the desk beside the page
  await expect(settings).toBeHidden()
  await page.getByTestId('btn-settings').click()
  await expect(settings).toBeVisible()
  await page.getByTestId('btn-settings').click() // its own button still toggles it
  await expect(settings).toBeHidden()

  const shortcuts = page.getByTestId('shortcuts')
  await page.getByTestId('btn-shortcuts').click()
  await expect(shortcuts).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(shortcuts).toBeHidden()
})
