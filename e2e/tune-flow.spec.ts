/**
 * "Tune on my decisions" in the preference panel. With the training tools here: a real
 * (tiny: INFILL_TUNE_ARGS) tune of the default model on a log of decisions, its progress,
 * its figures, the forgetting guard the default model ships (guard.npz: the tune measured it,
 * the tuned model keeps a copy), and the tuned model listed under Models. Without them (INFILL_PYTHON=none):
 * the exact command and what to install. Screenshots: e2e/artifacts/tune-*.png.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { resolveTestModel } from '../main/engine/model-paths'
import { preferenceDbPath, userModelsDir } from '../main/services/user-data'
import { findTrainingPython } from '../main/tune/python-tools'
import { expect, openAppWithEngine, screenshotPath, startHost, test } from './fixtures'
import { startTinyTuneHost, userDataWithDecisions } from './tune-helpers'

const modelDir = resolveTestModel()
test.skip(!modelDir, 'no test model (models/default)')

test('tune on my decisions: progress, figures, and the tuned model under Models', async ({ page }) => {
  test.skip(findTrainingPython() === null, 'no Python with torch here (the other test covers the shown command)')
  test.setTimeout(600_000)
  const host = await startTinyTuneHost(9)
  try {
    await openAppWithEngine(page, host)
    await page.getByTestId('btn-preferences').click()
    const tune = page.getByTestId('tune-panel')
    await expect(tune.getByTestId('tune-start')).toBeVisible({ timeout: 120_000 })
    await tune.scrollIntoViewIfNeeded()
    await page.screenshot({ path: screenshotPath('tune-ready') })

    await tune.getByTestId('tune-start').click()
    await expect(tune.getByTestId('tune-cancel')).toBeVisible()
    await expect(tune.getByTestId('tune-progress')).toHaveAttribute('data-phase', /exporting|reference|tuning|writing/)
    await page.screenshot({ path: screenshotPath('tune-running') })
    await expect(tune.getByTestId('tune-progress')).toHaveAttribute('data-phase', /done|failed|cancelled/, { timeout: 540_000 })
    await expect(tune.getByTestId('tune-message')).toContainText('Tuned model written to')
    await expect(tune.getByTestId('tune-progress')).toHaveAttribute('data-phase', 'done')
    await expect(tune.getByTestId('tune-figures')).toContainText('Held-out pairs')
    // the app's tune ran with the default model's guard set, and says so
    await expect(tune.getByTestId('tune-message')).toContainText('Forgetting guard:')
    const models = userModelsDir(host.userData)
    const tuned = readdirSync(models).find((n) => n.startsWith('tuned-'))
    expect(tuned).toBeDefined()
    const manifest = JSON.parse(readFileSync(join(models, tuned!, 'manifest.json'), 'utf8'))
    expect(manifest.tuning.figures.validGuard).toBe("the model's guard.npz")
    expect(typeof manifest.tuning.figures.validMaskedTokenAccuracy15Before).toBe('number')
    expect(existsSync(join(models, tuned!, 'guard.npz'))).toBe(true)
    await page.screenshot({ path: screenshotPath('tune-done') })

    await page.getByTestId('btn-models').click()
    const rows = page.getByTestId('models-panel').getByTestId('models-installed').getByTestId('model-row')
    await expect(rows.filter({ hasText: 'infill-default-mdlm-tuned' })).toHaveCount(1)
    await page.screenshot({ path: screenshotPath('tune-in-models') })
  } finally {
    await host.stop()
  }
})

test('without the training tools the panel shows the exact command and what to install', async ({ page }) => {
  process.env.INFILL_PYTHON = 'none'
  const host = await startHost({ userData: userDataWithDecisions(3) })
  delete process.env.INFILL_PYTHON
  try {
    await openAppWithEngine(page, host)
    await page.getByTestId('btn-preferences').click()
    const tune = page.getByTestId('tune-panel')
    await expect(tune.getByTestId('tune-unavailable')).toBeVisible({ timeout: 60_000 })
    await expect(tune.getByTestId('tune-install')).toContainText('apt-get install -y --no-install-recommends python3-torch python3-sentencepiece python3-numpy')
    await expect(tune.getByTestId('tune-command')).toContainText(`npm run prefs:export -- --db ${preferenceDbPath(host.userData)} --out `)
    await expect(tune.getByTestId('tune-command')).toContainText('npm run model:tune -- --prefs ')
    await expect(tune.getByTestId('tune-start')).toHaveCount(0)
    await tune.scrollIntoViewIfNeeded()
    await page.screenshot({ path: screenshotPath('tune-command') })
  } finally {
    await host.stop()
  }
})
