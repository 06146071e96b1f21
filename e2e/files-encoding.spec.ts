/**
 * Issue 11: a Latin-1 file opened and saved unchanged had its é replaced by U+FFFD. Now
 * opening it is refused with a message naming the encoding, and its bytes stay as they were.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, openApp, screenshotPath, test } from './fixtures'

test('a Latin-1 file is refused by name and left untouched', async ({ page, host }) => {
  const file = join(host.workspace, 'cafe.md')
  const latin1 = Buffer.from('Un caf\xe9 au lait, pr\xe8s de la gare.\n', 'latin1')
  writeFileSync(file, latin1)
  await openApp(page, host)
  const editor = page.getByTestId('editor')
  await editor.click()
  await page.keyboard.type('Work in progress.')

  await page.getByTestId('btn-open').click()
  await page.getByTestId('unsaved-discard').click()
  await page.locator('[data-testid="file-entry"][data-name="cafe.md"]').click()
  const error = page.getByTestId('toast-error')
  await expect(error).toContainText('it looks like Latin-1 (ISO-8859-1 / Windows-1252)')
  await expect(error).toContainText('nothing in it was changed')
  await page.screenshot({ path: screenshotPath('files-encoding-latin1-refused') })
  expect(readFileSync(file).equals(latin1)).toBe(true)
  await expect(page.getByTestId('doc-title')).not.toContainText('cafe')
  await expect(editor).not.toContainText('caf')
})
