/**
 * Issue 11: saving a 16.6 MB document (under the 20 MB open limit) sent a WebSocket frame
 * over the host's 32 MiB limit, which killed the browser-mode host, and the edit was lost.
 * (Here 18 MB: this document's marks are fewer, so it needs more text to pass the limit.)
 * Now the renderer refuses the save before sending anything and says why; the editor keeps
 * the text, the file on disk is unchanged, and the host answers the next request.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MAX_DOCUMENT_BYTES } from '../main/contract'
import { expect, openApp, screenshotPath, test } from './fixtures'

test('a document too big for one message is refused before sending; nothing is lost', async ({ page, host }) => {
  test.setTimeout(300_000)
  // 18 MB of Markdown in 200 paragraphs: under the 20 MiB open and save limit, but with its marks (the
  // sidecar holds the text again) over one 32 MiB message.
  const paragraph = 'The tide came in over the stones and went out again. '.repeat(1700)
  const markdown = Array.from({ length: 200 }, (_, i) => `Part ${i}: ${paragraph}`).join('\n\n') + '\n'
  const file = join(host.workspace, 'long.md')
  writeFileSync(file, markdown)
  expect(statSync(file).size).toBeGreaterThan(18_000_000)
  expect(statSync(file).size).toBeLessThan(MAX_DOCUMENT_BYTES)
  const before = readFileSync(file)

  await openApp(page, host)
  await page.getByTestId('btn-open').click()
  await page.locator('[data-testid="file-entry"][data-name="long.md"]').click()
  await expect(page.getByTestId('doc-title')).toContainText('long', { timeout: 120_000 })
  // The writer adds a line at the start, then saves.
  await page.getByTestId('editor').click()
  await page.keyboard.press('Control+Home')
  await page.keyboard.type('New opening line. ')
  await expect(page.getByTestId('dirty')).toHaveAttribute('data-dirty', 'true')
  await page.keyboard.press('Control+s')
  const error = page.getByTestId('toast-error')
  await expect(error).toContainText('Not saved: with its marks the document is', { timeout: 60_000 })
  await expect(error).toContainText('Nothing is lost')
  await page.screenshot({ path: screenshotPath('files-too-big-refused') })

  // Nothing was lost: the edit is in the editor, still unsaved; the file is as it was.
  await expect(page.getByTestId('dirty')).toHaveAttribute('data-dirty', 'true')
  const start = await page.evaluate(() => document.querySelector('.ProseMirror')!.textContent!.slice(0, 40))
  expect(start).toContain('New opening line.')
  expect(readFileSync(file).equals(before)).toBe(true)
  // The host is alive and answers: the workspace list still loads.
  expect(host.process.exitCode).toBeNull()
  await page.keyboard.press('Control+Shift+s')
  await expect(page.locator('[data-testid="file-entry"][data-name="long.md"]')).toBeVisible()
})
