/**
 * The Models panel against the fixture hub (127.0.0.1, the Hub's URL layout, serving the
 * default model's files as an ONNX export): the installed list, a download from a typed
 * repository id with its progress bar, switching to the downloaded model and filling with
 * it (the status bar then estimates the next fill), a cancelled download and one rejected
 * by the checksum. Screenshots: e2e/artifacts/models-*.png.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FixtureHub, onnxExportLayout } from '../main/models/fixture-hub'
import { resolveTestModel } from '../main/engine/model-paths'
import { expect, openAppWithEngine, screenshotPath, startHost, test as base, type InfillHost } from './fixtures'
import { selectText } from './writer-helpers'

const REPO = 'fixture/infill-default-onnx'
const SLOW_REPO = 'fixture/slow-download'
const BAD_REPO = 'fixture/damaged'
const modelDir = resolveTestModel()

const test = base.extend<{ hub: FixtureHub; host: InfillHost }>({
  hub: async ({}, use) => {
    const hub = new FixtureHub()
    for (const repo of [REPO, SLOW_REPO, BAD_REPO]) hub.addRepo(repo, onnxExportLayout(modelDir!))
    await hub.start()
    await use(hub)
    await hub.stop()
  },
  host: async ({ hub }, use) => {
    // The browser-mode host reads INFILL_HUB_URL at start (inherited from this process).
    process.env.INFILL_HUB_URL = hub.url
    const host = await startHost({ userData: join(mkdtempSync(join(tmpdir(), 'infill-e2e-models-')), 'user-data') })
    delete process.env.INFILL_HUB_URL
    await use(host)
    await host.stop()
  },
})

test.skip(!modelDir, 'no test model (models/default)')

async function startDownload(page: import('@playwright/test').Page, repoId: string): Promise<void> {
  await page.getByTestId('models-repo').fill(repoId)
  await page.getByTestId('models-variant').selectOption('int8')
  await page.getByTestId('models-download').click()
}

test('download a model from the hub in the Models panel, switch to it, fill; cancel; a damaged file is refused', async ({ page, host, hub }) => {
  test.setTimeout(300_000)
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(e.message))
  await openAppWithEngine(page, host)

  // --- The installed list: the built-in model, active, with its eval figures --------------
  await page.getByTestId('btn-models').click()
  const panel = page.getByTestId('models-panel')
  await expect(panel).toBeVisible()
  const rows = panel.getByTestId('models-installed').getByTestId('model-row')
  await expect(rows).toHaveCount(1)
  await expect(rows.first()).toHaveAttribute('data-active', 'true')
  await expect(rows.first()).toContainText('infill-default-mdlm')
  await expect(rows.first()).toContainText('built in')
  await expect(rows.first()).toContainText(/hidden tokens guessed \(15% hidden\) \d+\.\d%/)
  await expect(panel.getByTestId('models-curated')).toContainText('answerdotai/ModernBERT-base')
  await expect(panel.getByTestId('models-curated')).toContainText('about 151.0 MB (int8)')
  await page.screenshot({ path: screenshotPath('models-panel') })

  // --- A download with its progress bar (throttled so it can be watched) -------------------
  hub.faults = { bytesPerSecond: 6_000_000 }
  await startDownload(page, REPO)
  const download = panel.getByTestId('download').filter({ hasText: REPO })
  await expect(download.getByTestId('download-figures')).toContainText(/MB of 34\.\d MB · [\d.]+ MB\/s · \d+ s left/)
  await page.screenshot({ path: screenshotPath('models-downloading') })
  await expect(download).toHaveAttribute('data-phase', 'done', { timeout: 60_000 })
  await expect(download.getByTestId('download-message')).toContainText('Installed and verified')
  await expect(rows).toHaveCount(2)
  const downloaded = rows.filter({ hasText: 'infill-default-mdlm (int8)' })
  await expect(downloaded).toContainText(`downloaded · ${REPO}`)
  await expect(downloaded).toHaveAttribute('data-active', 'false')

  // --- Switch to it: the engine loads the downloaded folder ---------------------------------
  await download.getByTestId('download-use').click()
  await expect(downloaded).toHaveAttribute('data-active', 'true', { timeout: 60_000 })
  await expect(page.getByTestId('engine-status')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 })
  await expect(page.getByTestId('engine-model')).toHaveAttribute('title', /fixture--infill-default-onnx-int8/)
  await page.screenshot({ path: screenshotPath('models-switched') })

  // --- A fill on the downloaded model; then the status bar estimates the next one -----------
  await page.getByTestId('editor').click()
  await page.keyboard.type('The old man walked down to the river and sat on the bank in the evening.', { delay: 2 })
  await selectText(page, 'river')
  await page.keyboard.press('Control+m')
  await expect(page.getByTestId('fill-estimate')).toContainText(/Fill: \d+ steps/)
  await page.getByTestId('btn-regenerate').click()
  await expect(page.getByTestId('offers')).toBeVisible({ timeout: 120_000 })
  await page.keyboard.press('Escape')
  await selectText(page, 'bank')
  await page.keyboard.press('Control+m')
  await expect(page.getByTestId('fill-estimate')).toContainText(/Fill ≈ [\d.]+ s/)
  await page.screenshot({ path: screenshotPath('models-fill-estimate') })

  // --- Cancel a slow download: nothing is installed -----------------------------------------
  hub.faults = { bytesPerSecond: 400_000 }
  await startDownload(page, SLOW_REPO)
  const slow = panel.getByTestId('download').filter({ hasText: SLOW_REPO })
  await expect(slow.getByTestId('download-figures')).toContainText(/MB of 34\.\d MB/)
  await slow.getByTestId('download-cancel').click()
  await expect(slow).toHaveAttribute('data-phase', 'cancelled')
  await expect(slow.getByTestId('download-message')).toContainText('cancelled; its partial files were removed')

  // --- A damaged file is caught by the checksum and nothing is installed --------------------
  hub.faults = { corrupt: 'onnx/model_int8.onnx' }
  await startDownload(page, BAD_REPO)
  const bad = panel.getByTestId('download').filter({ hasText: BAD_REPO })
  await expect(bad).toHaveAttribute('data-phase', 'failed', { timeout: 60_000 })
  await expect(bad.getByTestId('download-message')).toContainText("onnx/model_int8.onnx did not match the Hub's checksum")

  // --- A repository that is not there: a plain message --------------------------------------
  await startDownload(page, 'fixture/no-such-model')
  const missing = panel.getByTestId('download').filter({ hasText: 'fixture/no-such-model' })
  await expect(missing.getByTestId('download-message')).toContainText('The Hub has no model "fixture/no-such-model"')
  await expect(rows).toHaveCount(2)
  await page.screenshot({ path: screenshotPath('models-errors'), fullPage: true })
  expect(problems).toEqual([])
})
