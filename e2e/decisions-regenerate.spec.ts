/**
 * Why (issue 11): ↻ three times on one span gave identical candidates each time (the seed was
 * fixed at 1). Each ↻ must draw a fresh seed; "Keep seed" gives reproducible fills.
 */
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'
import { allCandidates, board, fillAll, loggedDecisions, setSampling, writeAndMask } from './decisions-helpers'

const TEXT = 'The fog rolled over the quiet harbour before the boats came home.'

test('↻ draws a fresh seed each time; Keep seed reproduces a fill', async ({ page, host }) => {
  test.setTimeout(300_000)
  await openAppWithEngine(page, host)
  await writeAndMask(page, TEXT, ['rolled over the quiet'])
  await setSampling(page, 3)
  await fillAll(page, 1)
  const rounds: string[][] = [await allCandidates(page, 's1')]
  for (let i = 0; i < 3; i++) {
    await board(page, 's1').getByTestId('cand-regenerate').click()
    await expect(page.locator('[data-testid="fill-board"][data-status="ready"]')).toHaveCount(1, { timeout: 150_000 })
    rounds.push(await allCandidates(page, 's1'))
  }
  await page.screenshot({ path: screenshotPath('decisions-regenerate') })
  // Each ↻ turned the round down (logged as regenerated) under its own seed, and the rounds differ.
  const regenerated = (await loggedDecisions(page)).filter((d) => d.action === 'regenerated')
  expect(regenerated).toHaveLength(3)
  expect(new Set(regenerated.map((d) => d.sampling.seed)).size).toBe(3)
  expect(new Set(rounds.map((r) => JSON.stringify(r))).size).toBeGreaterThan(1)

  // Keep seed: two more rounds with the same seed give the same candidates.
  await setSampling(page, 3, true)
  await board(page, 's1').getByTestId('cand-regenerate').click()
  await expect(page.locator('[data-testid="fill-board"][data-status="ready"]')).toHaveCount(1, { timeout: 150_000 })
  const kept1 = await allCandidates(page, 's1')
  await board(page, 's1').getByTestId('cand-regenerate').click()
  await expect(page.locator('[data-testid="fill-board"][data-status="ready"]')).toHaveCount(1, { timeout: 150_000 })
  const kept2 = await allCandidates(page, 's1')
  expect(kept2).toEqual(kept1)
})
