/**
 * Issue 23 §4, the surface without a fill: toolbar titles name their keys ("Bold (Ctrl+B)",
 * never "undefinedB"); the shortcuts panel's key caps never overlap their descriptions; typed
 * (locked) words carry no dotted line, which shows only while Lock is hovered; the length
 * note of a 14-word span is not cut.
 * Screenshots: e2e/artifacts/surface-shortcuts.png, surface-typed.png, surface-length-note.png,
 * surface-length-note-narrow.png (1024 px wide, Shorter asked).
 */
import { expect, openApp, screenshotPath, test } from './fixtures'
import { selectText } from './writer-helpers'

const PARAGRAPH = 'The old lighthouse stood at the edge of the cliff, and every night its patient keeper climbed the narrow stairs to light the lamp.'

test('toolbar titles, the shortcuts panel, typed words and the length note read as they should', async ({ page, host }) => {
  await openApp(page, host)
  // Titles name the keys.
  await expect(page.getByTestId('fmt-bold')).toHaveAttribute('title', 'Bold (Ctrl+B)')
  await expect(page.getByTestId('fmt-italic')).toHaveAttribute('title', 'Italic (Ctrl+I)')
  await expect(page.getByTestId('fmt-heading')).toHaveAttribute('title', /^Heading \(Ctrl\+Alt\+2;/)
  await expect(page.getByTestId('fmt-bullets')).toHaveAttribute('title', /^Bulleted list \(Ctrl\+Shift\+8;/)
  const titles = await page.locator('[title]').evaluateAll((els) => els.map((e) => e.getAttribute('title') ?? ''))
  expect(titles.filter((t) => t.includes('undefined'))).toEqual([])

  // The shortcuts panel: every key cap ends left of its description, none over another.
  await page.getByTestId('btn-shortcuts').click()
  const panel = page.getByTestId('shortcuts')
  await expect(panel).toBeVisible()
  const rows = await panel.locator('.shortcut').evaluateAll((els) =>
    els.map((row) => {
      const caps = [...row.querySelectorAll('kbd')].map((k) => k.getBoundingClientRect())
      const what = row.querySelector('.shortcut-what')!.getBoundingClientRect()
      return { keys: [...row.querySelectorAll('kbd')].map((k) => k.textContent), capsRight: Math.max(...caps.map((c) => c.right)), whatLeft: what.left, rowRight: row.getBoundingClientRect().right, whatRight: what.right }
    }),
  )
  expect(rows.length).toBeGreaterThan(10)
  for (const r of rows) {
    expect(r.capsRight, `keys ${r.keys.join(' ')} end before their description`).toBeLessThanOrEqual(r.whatLeft)
    expect(r.whatRight).toBeLessThanOrEqual(r.rowRight + 0.5)
  }
  expect(rows.find((r) => r.keys.includes('Ctrl+Shift+9'))?.keys).toEqual(['Ctrl+Shift+8', 'Ctrl+Shift+9'])
  await page.screenshot({ path: screenshotPath('surface-shortcuts') })
  await page.keyboard.press('Escape')
  await expect(panel).toBeHidden()

  // Typed words: locked, and plain (no dotted line under each word).
  const editor = page.getByTestId('editor')
  await editor.click()
  await page.keyboard.type(PARAGRAPH, { delay: 1 })
  const lockedSpans = editor.locator('.mark-locked')
  await expect(lockedSpans.first()).toBeVisible()
  const decoration = () => lockedSpans.first().evaluate((e) => getComputedStyle(e).textDecorationLine)
  expect(await decoration()).toBe('none')
  await page.screenshot({ path: screenshotPath('surface-typed') })
  // Hovering Lock shows where the locked text is.
  await page.getByTestId('btn-lock').hover()
  expect(await decoration()).toBe('underline')
  await page.mouse.move(5, 500)

  // A 14-word span's length note is whole: nothing cut off with an ellipsis.
  const fourteen = 'and every night its patient keeper climbed the narrow stairs to light the lamp'
  expect(fourteen.split(' ')).toHaveLength(14)
  await selectText(page, fourteen)
  await page.keyboard.press('Control+m')
  await page.keyboard.press('ArrowLeft')
  const note = page.getByTestId('span-length-value')
  await expect(note).toContainText('14')
  const cut = await note.evaluate((e) => ({ text: e.textContent, scroll: e.scrollWidth, client: e.clientWidth }))
  expect(cut.scroll, `"${cut.text}" fits its box`).toBeLessThanOrEqual(cut.client)
  const controls = await page.locator('header.toolbar').locator('button, [data-testid="span-length-value"]').evaluateAll((els) =>
    els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => ({ text: e.textContent ?? '', scroll: e.scrollWidth, client: e.clientWidth })),
  )
  expect(controls.filter((c) => c.scroll > c.client + 1).map((c) => c.text)).toEqual([])
  await page.screenshot({ path: screenshotPath('surface-length-note'), clip: { x: 0, y: 0, width: 1280, height: 120 } })

  // A narrower window, Shorter asked: the note still whole ("shorter than its 14 words" was cut to "shorter than its 1…").
  await page.setViewportSize({ width: 1024, height: 760 })
  await page.getByTestId('span-length').getByText('Shorter', { exact: true }).click()
  await expect(note).toContainText(/shorter/i)
  const narrow = await page.locator('header.toolbar').locator('button, [data-testid="span-length-value"]').evaluateAll((els) =>
    els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => ({ text: e.textContent ?? '', scroll: e.scrollWidth, client: e.clientWidth })),
  )
  expect(narrow.filter((c) => c.scroll > c.client + 1).map((c) => c.text)).toEqual([])
  await page.screenshot({ path: screenshotPath('surface-length-note-narrow'), clip: { x: 0, y: 0, width: 1024, height: 120 } })
})
