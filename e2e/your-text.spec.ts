/**
 * Issue 21: the writer's own text in the fills, end to end on the real default model in
 * browser mode. An earlier chapter (a file in the workspace) names a character, Maren, and a
 * place, Ketterby. In a later chapter the name is masked where it belongs: with this document
 * alone the candidates do not offer it (the text under a mask never counts for its own fill);
 * with Settings › Your text on "Every document in the workspace" they offer "Maren", and so
 * does Other words on a placeholder name there; after "Forget my text" neither does.
 * Screenshots: e2e/artifacts/your-text-*.png.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Locator, Page } from '@playwright/test'
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'
import { selectText } from './writer-helpers'

const CHAPTER_ONE = `# Chapter One

The keeper Maren lived above the harbour of Ketterby. Every night the keeper Maren climbed the stairs and lit the lamp.
When the storm came to Ketterby, the keeper Maren stayed awake until dawn. The fishermen of Ketterby said that the keeper Maren never slept.
In the morning the keeper Maren walked down to the harbour of Ketterby and counted the boats.
`

const NAME = 'Maren'
const LATER = (who: string) => `At dusk the keeper ${who} climbed the stairs and lit the lamp above the harbour.`

/** Every candidate of the one span on offer (the ☰ list when there are several), and the board. */
async function offered(page: Page): Promise<{ board: Locator; texts: string[] }> {
  const board = page.locator('[data-testid="fill-board"][data-status="ready"]')
  await expect(board).toHaveCount(1, { timeout: 180_000 })
  const all = board.getByTestId('cand-all')
  if ((await all.count()) === 0) return { board, texts: [((await board.getByTestId('cand-text').textContent()) ?? '').trim()] }
  await all.click()
  const texts = (await board.getByTestId('cand-pick').allTextContents()).map((t) => t.trim())
  return { board, texts }
}

async function closeListAndReject(page: Page, board: Locator): Promise<void> {
  if (await board.getByTestId('cand-list').isVisible()) await page.keyboard.press('Escape')
  await board.getByTestId('cand-reject').click()
  await expect(board).toHaveCount(0)
}

/** Puts the caret inside `word` (a click in its middle). */
async function caretIn(page: Page, word: string): Promise<void> {
  await selectText(page, word)
  await page.keyboard.press('ArrowLeft')
  await page.keyboard.press('ArrowRight')
}

/** A right click on the middle of `word`, as a writer opens the context menu on it. */
async function rightClick(page: Page, word: string): Promise<void> {
  const at = await page.evaluate((needle) => {
    const root = document.querySelector('.ProseMirror')!
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT)
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const i = (n as Text).data.indexOf(needle)
      if (i < 0 || n.parentElement?.closest('.board, [contenteditable="false"]')) continue
      const r = document.createRange()
      r.setStart(n, i + 1)
      r.setEnd(n, i + 2)
      const box = r.getBoundingClientRect()
      return { x: box.left + box.width / 2, y: box.top + box.height / 2 }
    }
    return null
  }, word)
  if (!at) throw new Error(`"${word}" is not visible in the editor`)
  await page.mouse.click(at.x, at.y, { button: 'right' })
}

test('a later chapter draws the name from an earlier one, in candidates and Other words, until Forget my text', async ({ page, host }) => {
  test.setTimeout(480_000)
  writeFileSync(join(host.workspace, 'chapter-one.md'), CHAPTER_ONE)
  await openAppWithEngine(page, host)
  const status = page.getByTestId('your-text-status')
  await expect(status).toHaveText('Fills draw on 0 words of your text')

  // The later chapter, typed; then the settings: every document in the workspace, leaning on Your words; Safe, 5 candidates.
  const editor = page.getByTestId('editor')
  await editor.click()
  await page.keyboard.type(LATER(NAME), { delay: 2 })
  // How soon after the last key the status bar counts it (measured in the page, every frame).
  const lag = await page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const t0 = performance.now()
        const tick = () => (document.querySelector('[data-testid="your-text-status"]')?.getAttribute('data-words') === '15' ? resolve(performance.now() - t0) : requestAnimationFrame(tick))
        tick()
      }),
  )
  console.log(`the status bar counted the typed words ${Math.round(lag)} ms after the last key`)
  expect(lag).toBeLessThan(1000)
  await page.getByTestId('btn-settings').click()
  await page.getByTestId('set-your-words').fill('0')
  await page.getByTestId('set-temperature').fill('0')
  await page.getByTestId('set-candidates').fill('5')
  await page.getByTestId('set-done').click()

  // This document alone (the default): the name is only under the mask, which never counts for its own fill.
  await selectText(page, NAME)
  await page.keyboard.press('Control+m')
  await page.keyboard.press('Control+Enter')
  let { board, texts } = await offered(page)
  console.log('candidates from this document alone:', JSON.stringify(texts))
  expect(texts).not.toContain(NAME)
  await closeListAndReject(page, board)

  await page.getByTestId('btn-settings').click()
  await page.getByTestId('set-your-text').selectOption('workspace')
  await expect(page.getByTestId('your-text-note')).toContainText('(2 documents)')
  await page.screenshot({ path: screenshotPath('your-text-settings') })
  await page.getByTestId('set-done').click()
  const words = Number(await status.getAttribute('data-words'))
  expect(words).toBeGreaterThan(70)
  await expect(status).toHaveText(`Fills draw on ${words} words of your text`)

  // The name, masked where it belongs: it is among the candidates (the masked word itself never counts).
  await selectText(page, NAME)
  await page.keyboard.press('Control+m')
  await page.keyboard.press('Control+Enter')
  ;({ board, texts } = await offered(page))
  console.log('candidates with the earlier chapter:', JSON.stringify(texts))
  await page.screenshot({ path: screenshotPath('your-text-candidates') })
  expect(texts).toContain(NAME)
  await closeListAndReject(page, board)

  // Other words on a placeholder name in the same place offers it too.
  await selectText(page, NAME)
  await page.keyboard.type('Orla', { delay: 2 })
  await caretIn(page, 'Orla')
  await page.keyboard.press('Shift+F7')
  ;({ board, texts } = await offered(page))
  console.log('Other words with the earlier chapter:', JSON.stringify(texts))
  await page.screenshot({ path: screenshotPath('your-text-other-words') })
  expect(texts).toContain(NAME)
  await closeListAndReject(page, board)

  // Forget my text: asked first, then nothing of the writer's text counts.
  await page.getByTestId('btn-settings').click()
  await page.getByTestId('btn-forget-text').click()
  await expect(page.getByTestId('dialog-forget-text')).toBeVisible()
  await page.screenshot({ path: screenshotPath('your-text-forget') })
  await page.getByTestId('forget-confirm').click()
  await expect(page.getByTestId('dialog-forget-text')).toBeHidden()
  await expect(status).toHaveText('Fills draw on none of your text')
  // The status bar opens the settings: nothing of the writer's is drawn on now.
  await status.click()
  await expect(page.getByTestId('set-your-text')).toHaveValue('off')
  await page.getByTestId('set-done').click()

  // Other words again (from the right-click menu this time), then the masked name again: the earlier chapter's name is gone from both.
  await caretIn(page, 'Orla')
  await rightClick(page, 'Orla')
  await expect(page.getByTestId('ctx-other-words')).toBeEnabled()
  await page.getByTestId('ctx-other-words').click()
  ;({ board, texts } = await offered(page))
  console.log('Other words after Forget my text:', JSON.stringify(texts))
  expect(texts).not.toContain(NAME)
  await closeListAndReject(page, board)
  await selectText(page, 'Orla')
  await page.keyboard.type(NAME, { delay: 2 })
  await selectText(page, NAME)
  await page.keyboard.press('Control+m')
  await page.keyboard.press('Control+Enter')
  ;({ board, texts } = await offered(page))
  console.log('candidates after Forget my text:', JSON.stringify(texts))
  await page.screenshot({ path: screenshotPath('your-text-forgotten') })
  expect(texts).not.toContain(NAME)
  await closeListAndReject(page, board)
})
