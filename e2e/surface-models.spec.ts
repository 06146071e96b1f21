/**
 * Issue 23 §4, the Models panel: it says when the Hub cannot be reached before any download
 * is tried (the host pointed at a Hub address where nothing answers), keeps the download
 * buttons off then, and describes each installed model in a writer's words (what it is good
 * at, its size, its speed on this computer once it has filled something), the figures kept
 * under "Figures"; "Add" takes a model folder from outside the workspace by copying it into the
 * app's models folder (checked first: a folder that is not a model is refused), while "use it
 * where it is" stays inside the workspace in browser mode.
 * Screenshots: e2e/artifacts/surface-models.png, surface-models-added.png.
 */
import { cpSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, expect, openAppWithEngine, screenshotPath, startHost, test } from './fixtures'
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

    // "Add": a model folder outside the workspace, copied in (checked first); used where it is, refused outside the workspace.
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'infill-e2e-elsewhere-')), 'bert for notes')
    cpSync(join(ROOT, 'models/fixtures/bert-wordpiece'), elsewhere, { recursive: true })
    await panel.getByTestId('models-how-link').check()
    await panel.getByTestId('models-folder').fill(elsewhere)
    await panel.getByTestId('models-folder').press('Enter')
    await expect(panel.getByTestId('models-error')).toContainText('is outside the workspace folder')
    await panel.getByTestId('models-how-copy').check()
    await panel.getByTestId('models-folder').fill(elsewhere)
    await panel.getByTestId('models-folder').press('Enter')
    const added = panel.locator('[data-testid="model-row"][data-dir$="bert-for-notes"]')
    await expect(added).toHaveCount(1)
    await expect(added.locator('summary')).toContainText('added folder')
    expect(readdirSync(join(host.userData, 'models'))).toContain('bert-for-notes')
    await expect(added.getByTestId('model-good-at')).toContainText('A general English model')
    await expect(added.getByTestId('model-speed')).toHaveText(/^Not used on this computer yet/)
    const notModel = mkdtempSync(join(tmpdir(), 'infill-e2e-not-a-model-'))
    await panel.getByTestId('models-folder').fill(notModel)
    await panel.getByTestId('models-folder').press('Enter')
    await expect(panel.getByTestId('models-error')).toContainText('is not a model folder')
    await added.scrollIntoViewIfNeeded()
    await page.screenshot({ path: screenshotPath('surface-models-added') })
  } finally {
    await host.stop()
  }
})
