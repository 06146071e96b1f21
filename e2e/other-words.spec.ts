/**
 * Issue 21 §4: Other words on a content word, end to end on the real default model in browser
 * mode. The writer puts the caret in "slowly" and presses Shift+F7: the list offers adverbs
 * like it that fit the sentence (the model's thesaurus, experts.thesaurus.bin), a pick shows in
 * the text and Tab keeps it; undo brings the list back, and undo again gives the word back
 * unmasked with nothing on offer.
 * Screenshots: e2e/artifacts/other-words.png, other-words-undone.png.
 */
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'
import { editorSnapshot, selectText } from './writer-helpers'

const SENTENCE = 'At dusk the keeper walked slowly down the stairs and opened the door to the sea.'
const MANNER = ['quickly', 'swiftly', 'rapidly', 'quietly', 'gently', 'steadily', 'softly', 'silently', 'suddenly', 'gradually', 'carefully', 'fast']

test('Other words on "slowly" offers adverbs like it; a pick is kept', async ({ page, host }) => {
  test.setTimeout(240_000)
  await openAppWithEngine(page, host)
  await page.getByTestId('editor').click()
  await page.keyboard.type(SENTENCE, { delay: 2 })
  await selectText(page, 'slowly')
  await page.keyboard.press('ArrowLeft')
  await page.keyboard.press('ArrowRight')
  await page.keyboard.press('Shift+F7')
  const board = page.locator('[data-testid="fill-board"][data-status="ready"]')
  await expect(board).toHaveCount(1, { timeout: 180_000 })
  await board.getByTestId('cand-all').click()
  const picks = board.getByTestId('cand-list').getByTestId('cand-pick')
  const texts = (await picks.allTextContents()).map((t) => t.trim())
  console.log('Other words for "slowly":', JSON.stringify(texts))
  await page.screenshot({ path: screenshotPath('other-words') })
  expect(texts).not.toContain('slowly')
  const alike = texts.filter((t) => MANNER.includes(t))
  expect(alike.length, texts.join(', ')).toBeGreaterThanOrEqual(3)
  // pick the first of them that is not first in the list, keep it with Tab
  const pick = texts.findIndex((t, i) => i > 0 && MANNER.includes(t))
  await picks.nth(pick).click()
  await page.keyboard.press('Tab')
  await expect(board).toHaveCount(0)
  const text = (await editorSnapshot(page)).text
  expect(text).toContain(`walked ${texts[pick]} down the stairs`)
  expect(text).not.toContain('slowly')

  // Undo the pick: the other words are on offer again. Undo again: the masking goes too, and
  // "slowly" is the writer's word as before, with nothing on offer and no note of a dropped fill.
  await page.keyboard.press('Control+z')
  await expect(board).toHaveCount(1)
  await page.keyboard.press('Control+z')
  await expect(page.getByTestId('fill-board')).toHaveCount(0)
  await expect(page.locator('.mark-masked')).toHaveCount(0)
  expect((await editorSnapshot(page)).text).toContain('walked slowly down the stairs')
  await page.screenshot({ path: screenshotPath('other-words-undone') })
})
