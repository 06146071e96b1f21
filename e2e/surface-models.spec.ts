/**
 * Issue 23 §4, the Models panel: it says when the Hub cannot be reached before any download
 * is tried (the host pointed at a Hub address where nothing answers), keeps the download
 * buttons off then, and describes each installed model in a writer's words (what it is good
 * at, its size, its speed on this computer once it has filled something), the figures kept
 * under "Figures".
 * Screenshot: e2e/artifacts/surface-models.png.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, openAppWithEngine, screenshotPath, startHost, test } from './fixtures'
import { selectWords } from './decisions-helpers'

test('the Models panel says the Hub is out of reach before a download, and describes models in plain words', async ({ page }) => {
  test.setTimeout(300_000)
  // A port where nothing listens on this machine: the connection is refused, as when offline.
  process.env.INFILL_HUB_URL = 'http://127.0.0.1:65500'
  const host = await startHost({ userData: join(mkdtempSync(join(tmpdir(), 'infill-e2e-models-offline-')), 'user-data') })
  delete process.env.INFILL_HUB_URL
  try {
    await openAppWithEngine(page, host)
    // One fill first, so the speed on this computer is measured.
    await page.getByTestId('editor').click()
    await page.keyboard.type('The keeper climbed the narrow stairs to light the lamp.', { delay: 1 })
    await selectWords(page, 'narrow')
    await page.keyboard.press('Control+m')
    await page.keyboard.press('Control+Enter')
    await expect(page.locator('[data-testid="fill-board"][data-status="ready"]')).toHaveCount(1, { timeout: 180_000 })

    await page.getByTestId('btn-models').click()
    const panel = page.getByTestId('models-panel')
    const offline = panel.getByTestId('models-hub-offline')
    await expect(offline).toContainText('The Hugging Face Hub cannot be reached from this computer (http://127.0.0.1:65500', { timeout: 20_000 })
    await expect(offline).toContainText('so a download would fail')
    for (const b of await panel.getByTestId('curated-download').all()) await expect(b).toBeDisabled()
    await panel.getByTestId('models-repo').fill('owner/name')
    await expect(panel.getByTestId('models-download')).toBeDisabled()
    // No download was tried: nothing in the list of downloads.
    await expect(panel.getByTestId('download')).toHaveCount(0)

    // The built-in model in plain words, its figures folded away.
    const row = panel.locator('[data-testid="model-row"][data-active="true"]')
    await expect(row.getByTestId('model-good-at')).toHaveText(/^Infill's own small model, trained on public-domain books/)
    await expect(row.getByTestId('model-size')).toHaveText(/^Small \(.+ on disk\)$/)
    await expect(row.getByTestId('model-speed')).toHaveText(/^On this computer a fill of about 10 words takes up to about [\d.]+ (s|min)/)
    await expect(row.locator('.model-evals')).toBeHidden()
    await page.screenshot({ path: screenshotPath('surface-models') })
    await row.locator('summary').click()
    await expect(row.locator('.model-evals')).toBeVisible()
  } finally {
    await host.stop()
  }
})
