/**
 * Issue 16 §4 in a writer's words: Settings say Safe ↔ Wild and keep strategy, steps, seed
 * and block length under Advanced, with a note of how much text the model sees; the decision
 * log is the Training log; a span's length is set in words (Shorter / About the same / Longer,
 * or a range) and the fill request carries it. Screenshots: e2e/artifacts/controls-settings.png,
 * controls-length.png, controls-length-filled.png.
 */
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'
import { captureFillRequests } from './controls-helpers'
import { cursorToEnd, selectText } from './writer-helpers'

const PARAGRAPH = 'The old lighthouse stood at the edge of the cliff. Every night its keeper climbed the narrow stairs to light the lamp.'

test('settings, training log and a span length in words', async ({ page, host }) => {
  test.setTimeout(240_000)
  const requests = captureFillRequests(page)
  await openAppWithEngine(page, host)
  await page.getByTestId('editor').click()
  await page.keyboard.type(PARAGRAPH, { delay: 2 })

  // --- Settings: Safe ↔ Wild, Advanced closed, the context note -----------------------------
  await expect(page.getByTestId('btn-preferences')).toHaveText('Training log')
  await page.getByTestId('btn-settings').click()
  const settings = page.getByTestId('settings')
  await expect(settings).toContainText('Safe')
  await expect(settings).toContainText('Wild')
  await expect(settings).not.toContainText('Temperature')
  await expect(page.getByTestId('context-note')).toHaveText('The model sees about 200 words around a span.')
  await expect(page.getByTestId('set-strategy')).toBeHidden()
  await expect(page.getByTestId('set-seed')).toBeHidden()
  await page.getByTestId('set-temperature').fill('0.3')
  await page.getByTestId('set-candidates').fill('2')
  await page.getByTestId('set-advanced').click()
  await expect(page.getByTestId('set-strategy')).toBeVisible()
  await expect(page.getByTestId('set-block-length')).toBeVisible()
  await expect(page.getByTestId('set-steps')).toBeDisabled() // threshold decoding picks its own steps
  await page.screenshot({ path: screenshotPath('controls-settings') })
  await page.getByTestId('set-done').click()

  // --- A span's length in words ----------------------------------------------------------------
  await selectText(page, 'climbed the narrow stairs')
  await page.keyboard.press('Control+m')
  const span = page.getByTestId('editor').locator('.mark-masked')
  await expect(page.getByTestId('span-length-value')).toHaveText('about 4 words')
  await page.getByTestId('btn-longer').click()
  await expect(page.getByTestId('btn-longer')).toHaveAttribute('aria-pressed', 'true')
  await expect(page.getByTestId('span-length-value')).toHaveText('6–8 words (longer)')
  await expect(span).toHaveAttribute('data-length', '"longer"')
  // A range that makes no sense says so and changes nothing.
  await page.getByTestId('len-min').fill('6')
  await page.getByTestId('len-max').fill('2')
  await page.getByTestId('len-max').press('Enter')
  await expect(page.getByTestId('span-length-value')).toHaveText('The most words (2) must not be below the fewest (6).')
  await expect(span).toHaveAttribute('data-length', '"longer"')
  await page.getByTestId('len-max').fill('9')
  await page.getByTestId('len-max').press('Enter')
  await expect(page.getByTestId('span-length-value')).toHaveText('6–9 words')
  await expect(span).toHaveAttribute('data-length', '{"minWords":6,"maxWords":9}')
  await expect(page.getByTestId('btn-longer')).toHaveAttribute('aria-pressed', 'false')
  await page.screenshot({ path: screenshotPath('controls-length') })

  // --- The fill asks for it, and the step counter says steps as the settings do -----------------
  await cursorToEnd(page)
  await page.keyboard.press('Control+Enter')
  await expect(page.getByTestId('fill-progress')).toContainText(/starting…|step \d+ · at most \d+/)
  await expect(page.locator('[data-testid="fill-board"][data-status="ready"]')).toHaveCount(1, { timeout: 180_000 })
  expect(requests).toHaveLength(1)
  expect(requests[0].spans).toEqual([expect.objectContaining({ length: { minWords: 6, maxWords: 9 } })])
  expect(requests[0].settings).toMatchObject({ temperature: 0.3, candidates: 2 })
  await page.screenshot({ path: screenshotPath('controls-length-filled') })
})
