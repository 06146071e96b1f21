/**
 * Issue 16 §2 and part of §5: rewrite in one gesture. Ctrl+Enter on a selection with no masks
 * masks it and fills it (that span only); the context menu's Rewrite / Shorter / Longer do the
 * same, Shorter and Longer with a length target; the menu has Cut / Copy / Paste and Unmask;
 * Ctrl+M inside a mask unmasks it instead of inserting a gap mid-word.
 * Screenshots: e2e/artifacts/controls-rewrite.png, controls-menu.png, controls-longer.png.
 */
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'
import { captureFillRequests } from './controls-helpers'
import { editorSnapshot, selectText } from './writer-helpers'

const PARAGRAPH = 'The old lighthouse stood at the edge of the cliff. Every night its keeper climbed the narrow stairs to light the lamp.'

test('rewrite, shorter and longer in one gesture; cut, copy, paste and unmask from the menu', async ({ page, host }) => {
  test.setTimeout(300_000)
  const requests = captureFillRequests(page)
  await openAppWithEngine(page, host)
  const editor = page.getByTestId('editor')
  await editor.click()
  await page.keyboard.type(PARAGRAPH, { delay: 2 })
  await page.getByTestId('btn-settings').click()
  await page.getByTestId('set-candidates').fill('2')
  await page.getByTestId('set-done').click()
  const ready = page.locator('[data-testid="fill-board"][data-status="ready"]')

  // --- Ctrl+Enter on an unmasked selection: masked and filled at once --------------------------
  await selectText(page, 'climbed the narrow stairs')
  await expect(page.getByTestId('btn-rewrite')).toBeVisible()
  await page.keyboard.press('Control+Enter')
  await expect(ready).toHaveCount(1, { timeout: 180_000 })
  expect(requests).toHaveLength(1)
  expect(requests[0].spans).toHaveLength(1)
  const r0 = requests[0]
  expect(r0.text.slice(r0.spans[0].from, r0.spans[0].to)).toBe('climbed the narrow stairs')
  expect(r0.spans[0].length).toBeUndefined()
  await expect(page.getByTestId('toast-info').filter({ hasText: 'Nothing is masked' })).toHaveCount(0)
  await page.screenshot({ path: screenshotPath('controls-rewrite') })
  // The "span ready" toast sits below the desk, never over the page or a candidate bar.
  await expect(page.getByTestId('toast-info').first()).toBeVisible()
  const overlap = await page.evaluate(() => {
    const rect = (el: Element) => el.getBoundingClientRect()
    const desk = rect(document.querySelector('.desk')!)
    const toasts = [...document.querySelectorAll('.toast')].map(rect)
    const bars = [...document.querySelectorAll('[data-testid="cand-controls"]')].map(rect)
    const hit = (a: DOMRect, b: DOMRect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom
    return { toasts: toasts.length, overDesk: toasts.some((t) => t.top < desk.bottom), overBar: toasts.some((t) => bars.some((b) => hit(t, b))) }
  })
  expect(overlap).toEqual({ toasts: 1, overDesk: false, overBar: false })
  await ready.getByTestId('cand-reject').click()
  await expect(ready).toHaveCount(0)
  expect((await editorSnapshot(page)).text).toContain('climbed the narrow stairs')

  // --- The context menu on a selection: clipboard, Rewrite / Shorter / Longer -------------------
  await selectText(page, 'edge of the cliff')
  await rightClickSelection(page)
  const menu = page.getByTestId('context-menu')
  await expect(menu).toBeVisible()
  for (const id of ['ctx-cut', 'ctx-copy', 'ctx-paste', 'ctx-rewrite', 'ctx-shorter', 'ctx-longer']) await expect(menu.getByTestId(id)).toBeVisible()
  await page.screenshot({ path: screenshotPath('controls-menu') })
  await page.keyboard.press('Escape')
  await expect(menu).toBeHidden()

  await selectText(page, 'old lighthouse')
  await rightClickSelection(page)
  await expect(menu).toBeVisible()
  await menu.getByTestId('ctx-longer').click()
  await expect(ready).toHaveCount(1, { timeout: 180_000 })
  expect(requests).toHaveLength(2)
  const r1 = requests[1]
  expect(r1.spans).toHaveLength(1)
  expect(r1.spans[0].length).toBe('longer')
  expect(r1.text.slice(r1.spans[0].from, r1.spans[0].to)).toBe('old lighthouse')
  await page.screenshot({ path: screenshotPath('controls-longer') })
  await ready.getByTestId('cand-reject').click()
  await expect(ready).toHaveCount(0)

  // --- Ctrl+M inside a mask unmasks it; Unmask in the menu does too ----------------------------
  await selectText(page, 'narrow')
  await page.keyboard.press('Control+m')
  await expect(editor.locator('.mark-masked')).toHaveText(['narrow'])
  await editor.locator('.mark-masked').click({ position: { x: 12, y: 8 } })
  // The click reaches ProseMirror's selection asynchronously: wait for the caret inside the mask.
  await page.waitForFunction(() => {
    type V = { state: { selection: { $head: { marks(): { type: { name: string } }[]; nodeAfter: { marks: { type: { name: string } }[] } | null } } } }
    const $h = (window as unknown as { __infill: { editorView(): V } }).__infill.editorView().state.selection.$head
    const isMasked = (ms: { type: { name: string } }[]) => ms.some((m) => m.type.name === 'masked')
    return isMasked($h.marks()) && !!$h.nodeAfter && isMasked($h.nodeAfter.marks)
  })
  await page.keyboard.press('Control+m')
  await expect(editor.locator('.mark-masked')).toHaveCount(0)
  await expect(editor.getByTestId('mask-slot')).toHaveCount(0)
  await selectText(page, 'lamp')
  await page.keyboard.press('Control+m')
  await editor.locator('.mark-masked').click({ button: 'right' })
  await menu.getByTestId('ctx-unmask').click()
  await expect(editor.locator('.mark-masked')).toHaveCount(0)

  // --- Cut and Paste from the menu --------------------------------------------------------------
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
  await selectText(page, 'Every night')
  await rightClickSelection(page)
  await menu.getByTestId('ctx-cut').click()
  await expect.poll(async () => (await editorSnapshot(page)).text).not.toContain('Every night')
  await selectText(page, 'lamp')
  await page.keyboard.press('ArrowRight')
  await page.keyboard.press('End')
  await rightClickSelection(page)
  await menu.getByTestId('ctx-paste').click()
  await expect.poll(async () => (await editorSnapshot(page)).text).toContain('lamp.Every night')
})

/** Right-clicks the middle of the selection (or the caret), as a writer opens the menu on it. */
async function rightClickSelection(page: import('@playwright/test').Page): Promise<void> {
  const r = await page.evaluate(() => {
    const range = window.getSelection()!.getRangeAt(0)
    const rects = range.getClientRects()
    const b = rects.length ? rects[0] : range.getBoundingClientRect()
    return { x: b.left + Math.max(1, b.width / 2), y: b.top + b.height / 2 }
  })
  await page.mouse.click(r.x, r.y, { button: 'right' })
}
