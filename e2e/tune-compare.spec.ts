/**
 * "Compare with base" in the Training log: the writer picks a pair by hand (the loaded base
 * and a tuned model) and turns it off again; then loads the tuned model (Models), turns
 * comparison on, fills, sees each span's candidates from both models side by side in two
 * labelled columns, keeps the base model's (the one not loaded) with the mouse and Tab,
 * rejects the other span with the keys, and the Training log tallies whose candidate was
 * kept. The "tuned" model is the default model's weights under a lineage manifest
 * (main/services/test-fixtures/lineage-model.ts): the first test checks the comparison flow,
 * not tuning. Where Python with torch is here, the second runs a real tiny tune (as
 * tune-flow.spec.ts does) and compares its model with the base right after.
 * Screenshots: e2e/artifacts/compare-*.png.
 */
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveTestModel } from '../main/engine/model-paths'
import { writeLineageCopy } from '../main/services/test-fixtures/lineage-model'
import { userModelsDir } from '../main/services/user-data'
import { findTrainingPython } from '../main/tune/python-tools'
import { board, caretAt, fillAll, loggedDecisions, setSampling, spanRange, writeAndMask } from './decisions-helpers'
import { expect, openAppWithEngine, screenshotPath, startHost, test } from './fixtures'
import { startTinyTuneHost } from './tune-helpers'

const modelDir = resolveTestModel()
test.skip(!modelDir, 'no test model (models/default)')

const TUNED = 'infill-default-mdlm-copy'
const TEXT = 'The old keeper walked down to the river at dusk. He watched the water for a long time and then went home.'

test('compare with base: both models side by side, labelled; the kept one is logged and tallied', async ({ page }) => {
  test.setTimeout(300_000)
  const userData = join(mkdtempSync(join(tmpdir(), 'infill-e2e-compare-')), 'user-data')
  mkdirSync(userModelsDir(userData), { recursive: true })
  writeLineageCopy(modelDir!, join(userModelsDir(userData), TUNED), TUNED)
  const host = await startHost({ userData })
  try {
    await openAppWithEngine(page, host)

    // A pair picked by hand: the loaded base beside the tuned model; then off again.
    await page.getByTestId('btn-preferences').click()
    const picker = page.getByTestId('compare-panel').getByTestId('compare-pair')
    await picker.getByTestId('compare-with').selectOption({ label: TUNED })
    await picker.scrollIntoViewIfNeeded()
    await page.screenshot({ path: screenshotPath('compare-pick-pair') })
    await picker.getByTestId('compare-pair-start').click()
    await expect(page.getByTestId('compare-panel').getByTestId('compare-on')).toContainText(`base: infill-default-mdlm with tuned: ${TUNED}`, { timeout: 120_000 })
    await page.getByTestId('compare-panel').getByTestId('compare-stop').click()
    await expect(picker).toBeVisible()
    await page.getByTestId('btn-preferences').click()

    // Models: load the tuned model.
    await page.getByTestId('btn-models').click()
    const row = page.getByTestId('models-panel').getByTestId('model-row').filter({ hasText: TUNED })
    await row.getByTestId('model-use').click()
    await expect(row).toHaveAttribute('data-active', 'true', { timeout: 120_000 })
    await page.getByTestId('btn-models').click()

    // Training log: "Compare with base".
    await page.getByTestId('btn-preferences').click()
    const compare = page.getByTestId('compare-panel')
    await compare.scrollIntoViewIfNeeded()
    await compare.getByTestId('compare-start').click()
    await expect(compare.getByTestId('compare-on')).toContainText('base: infill-default-mdlm', { timeout: 120_000 })
    await expect(compare.getByTestId('compare-on')).toContainText(`tuned: ${TUNED}`)
    await expect(compare.getByTestId('compare-tally')).toHaveCount(0)
    await page.screenshot({ path: screenshotPath('compare-on') })
    await page.getByTestId('btn-preferences').click()

    // Fill two spans: each shows both columns, labelled, in a per-span order.
    await setSampling(page, 2)
    await writeAndMask(page, TEXT, ['river', 'water'])
    await fillAll(page, 2)
    const orders: string[] = []
    for (const id of ['s1', 's2']) {
      const columns = board(page, id).getByTestId('compare-columns')
      await expect(columns).toBeVisible()
      await expect(columns.getByTestId('compare-label')).toHaveCount(2)
      const labels = await columns.getByTestId('compare-label').allTextContents()
      expect(labels.slice().sort()).toEqual(['base: infill-default-mdlm', `tuned: ${TUNED}`])
      for (const col of await columns.getByTestId('compare-column').all()) await expect(col.getByTestId('compare-pick')).toHaveCount(2)
      orders.push((await columns.getAttribute('data-order'))!)
      expect(labels[0].startsWith(orders[orders.length - 1].split(',')[0])).toBe(true)
      // Side by side: the right column starts where the left one ends, on the same row; nothing overlaps.
      const [left, right] = await Promise.all((await columns.getByTestId('compare-column').all()).map((c) => c.boundingBox()))
      expect(left && right).toBeTruthy()
      expect(left!.x + left!.width).toBeLessThanOrEqual(right!.x)
      expect(Math.abs(left!.y - right!.y)).toBeLessThan(2)
      await expect(board(page, id)).toHaveAttribute('data-candidate-count', '4')
    }
    console.log(`column order per span (left,right): ${orders.join(' | ')}`)
    await board(page, 's1').scrollIntoViewIfNeeded()
    await page.screenshot({ path: screenshotPath('compare-columns') })

    // s1, with the mouse: pick the base model's second candidate (the model not loaded), then Tab accepts it.
    const basePick = board(page, 's1').locator('[data-testid="compare-column"][data-role="base"] [data-testid="compare-pick"]').nth(1)
    const index = (await basePick.getAttribute('data-index'))!
    await basePick.click()
    await expect(board(page, 's1')).toHaveAttribute('data-candidate-index', index)
    await expect(board(page, 's1').locator(`[data-testid="compare-pick"][data-index="${index}"]`)).toHaveAttribute('aria-pressed', 'true')
    await page.keyboard.press('Tab')
    await expect(page.locator('[data-testid="fill-board"][data-status="ready"]')).toHaveCount(1)
    // The accepted text's provenance names the model that wrote it.
    const provenance = await page.evaluate(() => {
      const v = (window as unknown as { __infill: { editorView(): any } }).__infill.editorView()
      const models: string[] = []
      v.state.doc.descendants((n: any) => {
        const m = n.marks?.find((x: any) => x.type.name === 'generated')
        if (m) models.push(m.attrs.model)
      })
      return models
    })
    expect(provenance).toEqual(['infill-default-mdlm'])

    // s2, with the keys: Alt-] walks on through both columns, Esc rejects every candidate.
    await caretAt(page, (await spanRange(page, 's2')).to)
    await page.keyboard.press('Alt+BracketRight')
    await expect(board(page, 's2')).toHaveAttribute('data-candidate-index', '1')
    await expect(board(page, 's2').locator('[data-testid="compare-pick"][data-index="1"]')).toHaveAttribute('aria-pressed', 'true')
    await page.keyboard.press('Alt+BracketRight')
    await expect(board(page, 's2')).toHaveAttribute('data-candidate-index', '2')
    await page.keyboard.press('Escape')
    await expect(page.locator('[data-testid="fill-board"][data-status="ready"]')).toHaveCount(0)

    // The log: which model wrote each candidate, and whose was kept.
    type Compared = { spanId: string; action: string; chosenIndex: number | null; candidates: string[]; model: { name: string }; compare?: { keptFrom: string; sources: string[]; order: string[] } }
    const logged = (await loggedDecisions(page, true)) as unknown as Compared[]
    const s1 = logged.find((d) => d.spanId === 's1')!
    const s2 = logged.find((d) => d.spanId === 's2')!
    expect(s1).toMatchObject({ action: 'accepted', model: { name: 'infill-default-mdlm' }, compare: { keptFrom: 'base', order: orders[0].split(',') } })
    expect(s1.compare!.sources).toHaveLength(4)
    expect(s1.compare!.sources[s1.chosenIndex!]).toBe('base')
    expect(s2).toMatchObject({ action: 'rejected_all', compare: { keptFrom: 'neither', order: orders[1].split(',') } })
    expect(s2.candidates).toHaveLength(4)

    // The Training log's tally.
    await page.getByTestId('btn-preferences').click()
    const tally = page.getByTestId('compare-panel').getByTestId('compare-tally')
    await expect(tally).toHaveText('Comparisons so far: kept tuned 0, base 1, neither 1.', { timeout: 15_000 })
    await tally.scrollIntoViewIfNeeded()
    await page.screenshot({ path: screenshotPath('compare-tally') })

    // Stop comparing: the next fill is an ordinary one.
    await page.getByTestId('compare-panel').getByTestId('compare-stop').click()
    await expect(page.getByTestId('compare-panel').getByTestId('compare-start')).toBeVisible()
  } finally {
    await host.stop()
  }
})

test('right after a real tiny tune, Compare with base puts the tuned model beside the loaded base', async ({ page }) => {
  test.skip(findTrainingPython() === null, 'no Python with torch here (the first test covers the comparison with a lineage copy)')
  test.setTimeout(600_000)
  const host = await startTinyTuneHost(9, 'infill-e2e-compare-tune-')
  try {
    await openAppWithEngine(page, host)
    await page.getByTestId('btn-preferences').click()
    const tune = page.getByTestId('tune-panel')
    await expect(tune.getByTestId('tune-start')).toBeVisible({ timeout: 120_000 })
    await tune.getByTestId('tune-start').click()
    await expect(tune.getByTestId('tune-progress')).toHaveAttribute('data-phase', /done|failed|cancelled/, { timeout: 540_000 })
    await expect(tune.getByTestId('tune-progress')).toHaveAttribute('data-phase', 'done')

    const compare = page.getByTestId('compare-panel')
    await compare.getByTestId('compare-start').click()
    await expect(compare.getByTestId('compare-on')).toContainText('base: infill-default-mdlm with tuned: infill-default-mdlm-tuned', { timeout: 120_000 })
    await page.getByTestId('btn-preferences').click()

    await setSampling(page, 2)
    await writeAndMask(page, TEXT, ['river'])
    await fillAll(page, 1)
    const columns = board(page, 's1').getByTestId('compare-columns')
    const labels = await columns.getByTestId('compare-label').allTextContents()
    expect(labels.slice().sort()).toEqual(['base: infill-default-mdlm', 'tuned: infill-default-mdlm-tuned'])
    for (const col of await columns.getByTestId('compare-column').all()) {
      console.log(`${await col.getByTestId('compare-label').textContent()}: ${JSON.stringify(await col.getByTestId('compare-pick').allTextContents())}`)
    }
    await page.screenshot({ path: screenshotPath('compare-after-tune') })

    // Keep the tuned model's first candidate (mouse, then Tab).
    await board(page, 's1').locator('[data-testid="compare-column"][data-role="tuned"] [data-testid="compare-pick"]').first().click()
    await page.keyboard.press('Tab')
    await expect(page.locator('[data-testid="fill-board"][data-status="ready"]')).toHaveCount(0)
    await page.getByTestId('btn-preferences').click()
    await expect(page.getByTestId('compare-panel').getByTestId('compare-tally')).toHaveText('Comparisons so far: kept tuned 1, base 0, neither 0.', { timeout: 15_000 })
  } finally {
    await host.stop()
  }
})
