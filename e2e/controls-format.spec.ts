/**
 * Issue 16 §5, editor basics: "# " makes a heading, Ctrl+B / Ctrl+I bold and italic, "- "
 * a bulleted list, the toolbar's quote button a quote, and the page shows each as such.
 * Screenshot: e2e/artifacts/controls-format.png.
 */
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'
import { selectText } from './writer-helpers'

test('headings, bold, italic, lists and quotes from keys, typed shortcuts and the toolbar', async ({ page, host }) => {
  await openAppWithEngine(page, host)
  const editor = page.getByTestId('editor')
  await editor.click()
  await page.keyboard.type('# Notes', { delay: 2 })
  await page.keyboard.press('Enter')
  await page.keyboard.type('The keeper climbed the narrow stairs.', { delay: 2 })
  await page.keyboard.press('Enter')
  await page.keyboard.type('- oil for the lamp', { delay: 2 })
  await page.keyboard.press('Enter')
  await page.keyboard.type('a new wick', { delay: 2 })
  await page.keyboard.press('Enter')
  await page.keyboard.press('Enter') // an empty item ends the list
  await page.keyboard.type('Ships passed safely.', { delay: 2 })
  await expect(editor.locator('h1')).toHaveText('Notes')
  await expect(editor.locator('ul > li')).toHaveText(['oil for the lamp', 'a new wick'])

  await selectText(page, 'keeper')
  await page.keyboard.press('Control+b')
  await expect(editor.locator('strong')).toHaveText('keeper')
  await selectText(page, 'narrow')
  await page.keyboard.press('Control+i')
  await expect(editor.locator('em')).toHaveText('narrow')
  await selectText(page, 'Ships passed')
  await page.getByTestId('fmt-quote').click()
  await expect(editor.locator('blockquote')).toHaveText('Ships passed safely.')
  await selectText(page, 'climbed')
  await page.getByTestId('fmt-bold').click()
  await expect(editor.locator('strong')).toHaveText(['keeper', 'climbed'])
  // The marks of the writer's text stay: it is all still locked (typed text is the writer's).
  await expect(editor.locator('h1 .mark-locked')).toHaveText('Notes')
  await page.screenshot({ path: screenshotPath('controls-format') })
})
