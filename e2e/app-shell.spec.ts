/**
 * The app shell as a writer meets it in browser mode: open the app, type, save to a file,
 * open it again and find the same text; the host refuses visitors without the token.
 */
import { readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { expect, openApp, screenshotPath, test } from './fixtures'

test('type, save to a file, reopen it, find the same text', async ({ page, host }) => {
  await openApp(page, host)
  const editor = page.getByTestId('editor')
  await editor.click()
  const text = 'The lighthouse keeper counted the ships until the fog came in.'
  await page.keyboard.type(text)
  await expect(editor).toContainText(text)
  await expect(page.getByTestId('dirty')).toHaveAttribute('data-dirty', 'true')

  await page.keyboard.press('Control+s')
  await page.getByTestId('save-name').fill('lighthouse.md')
  await page.getByTestId('save-confirm').click()
  await expect(page.getByTestId('doc-title')).toContainText('lighthouse')
  await expect(page.getByTestId('dirty')).toHaveAttribute('data-dirty', 'false')
  const saved = join(host.workspace, 'lighthouse.md')
  expect(existsSync(saved)).toBe(true)
  expect(readFileSync(saved, 'utf8')).toContain(text)
  await page.screenshot({ path: screenshotPath('app-shell-saved') })

  // A fresh page (as after restarting the app), then File › Open.
  await page.goto(host.url)
  await expect(page.getByTestId('editor')).toBeVisible()
  await page.getByTestId('btn-open').click()
  await page.locator('[data-testid="file-entry"][data-name="lighthouse.md"]').click()
  await expect(page.getByTestId('editor')).toContainText(text)
  await expect(page.getByTestId('doc-title')).toContainText('lighthouse')
})

test('the host refuses a visitor without the token', async ({ page, host }) => {
  const response = await page.request.get(`${host.origin}/`, { failOnStatusCode: false })
  expect(response.status()).toBe(403)
})
