/**
 * Issue 11, data loss: in a new document, Save As with the name of an existing file
 * replaced the whole story without a question. Now the picker asks (replace / cancel) and
 * nothing is written until the writer chooses Replace.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, openApp, screenshotPath, test } from './fixtures'

const STORY = 'The lighthouse keeper counted the ships until the fog came in.'

test('Save As onto an existing file asks first; Cancel keeps the file, Replace replaces it', async ({ page, host }) => {
  await openApp(page, host)
  const editor = page.getByTestId('editor')
  await editor.click()
  await page.keyboard.type(STORY)
  await page.keyboard.press('Control+s')
  await page.getByTestId('save-name').fill('lighthouse.md')
  await page.getByTestId('save-confirm').click()
  await expect(page.getByTestId('doc-title')).toContainText('lighthouse')
  const file = join(host.workspace, 'lighthouse.md')
  const sidecar = `${file}.infill.json`
  const storyBytes = readFileSync(file)
  const storySidecar = readFileSync(sidecar)
  expect(storyBytes.toString('utf8')).toContain(STORY)

  // A new document, then Save As with the existing name, picked from the list above the field.
  await page.getByTestId('btn-new').click()
  await expect(page.getByTestId('doc-title')).toContainText('Untitled')
  await editor.click()
  await page.keyboard.type('Essay draft.')
  await page.keyboard.press('Control+Shift+s')
  await page.locator('[data-testid="file-entry"][data-name="lighthouse.md"]').click()
  await expect(page.getByTestId('save-name')).toHaveValue('lighthouse.md')
  await page.getByTestId('save-confirm').click()
  const confirm = page.getByTestId('replace-confirm')
  await expect(confirm).toBeVisible()
  await expect(confirm).toContainText('“lighthouse.md” already exists')
  await page.screenshot({ path: screenshotPath('files-save-as-replace-confirm') })
  // Nothing was written while the question is open.
  expect(readFileSync(file).equals(storyBytes)).toBe(true)
  expect(readFileSync(sidecar).equals(storySidecar)).toBe(true)

  await page.getByTestId('replace-cancel').click()
  await expect(confirm).toBeHidden()
  await expect(page.getByTestId('dialog-saveAs')).toBeVisible() // back to choosing a name
  expect(readFileSync(file).equals(storyBytes)).toBe(true)
  await expect(page.getByTestId('dirty')).toHaveAttribute('data-dirty', 'true')

  // Typing the name by hand (without the extension) meets the same question.
  await page.getByTestId('save-name').fill('lighthouse')
  await page.getByTestId('save-name').press('Enter')
  await expect(confirm).toBeVisible()
  await page.getByTestId('replace-accept').click()
  await expect(page.getByTestId('dialog-saveAs')).toBeHidden()
  await expect(page.getByTestId('doc-title')).toContainText('lighthouse')
  await expect(page.getByTestId('dirty')).toHaveAttribute('data-dirty', 'false')
  expect(readFileSync(file, 'utf8')).toContain('Essay draft.')
  expect(readFileSync(file, 'utf8')).not.toContain('lighthouse keeper')

  // Save (Ctrl+S) on the document's own file does not ask.
  await editor.click()
  await page.keyboard.press('End')
  await page.keyboard.type(' More.')
  await page.keyboard.press('Control+s')
  await expect(page.getByTestId('dirty')).toHaveAttribute('data-dirty', 'false')
  await expect(confirm).toBeHidden()
  expect(readFileSync(file, 'utf8')).toContain('Essay draft. More.')
})
