/**
 * Helpers that drive the editor as a writer does: select text with the mouse, read what
 * the page shows. Shared by the writer-session spec and the typing-latency benchmark.
 */
import type { Page } from '@playwright/test'

/**
 * Drags the mouse over the first occurrence of `text` in the editor, as a writer selects it.
 * A writer whose drag went wrong drags again: ProseMirror counts a mousedown within 500 ms
 * and a few pixels of the last one as a double or triple click (a triple click selects the
 * whole paragraph), and text can move under the pointer while a board closes. So a drag that
 * did not select exactly `text` is retried after that window, at most three times in all;
 * the third miss is an error.
 */
export async function selectText(page: Page, text: string): Promise<void> {
  let got = ''
  for (let attempt = 1; attempt <= 3; attempt++) {
    got = await dragOver(page, text)
    if (got === text) return
    await page.keyboard.press('ArrowRight')
    await page.waitForTimeout(600)
  }
  throw new Error(`selected "${got}" instead of "${text}" (three drags)`)
}

/** One drag over the first occurrence of `text`; returns what the page then has selected. */
async function dragOver(page: Page, text: string): Promise<string> {
  const box = await page.evaluate((needle) => {
    const root = document.querySelector('.ProseMirror')!
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: (n) => ((n.parentElement?.closest('.board, .fill-hidden, [contenteditable="false"]') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT)),
    })
    const nodes: Text[] = []
    let all = ''
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      nodes.push(n as Text)
      all += (n as Text).data
    }
    const at = all.indexOf(needle)
    if (at < 0) return null
    const locate = (offset: number): [Text, number] => {
      let acc = 0
      for (const n of nodes) {
        if (offset < acc + n.data.length) return [n, offset - acc]
        acc += n.data.length
      }
      const last = nodes[nodes.length - 1]
      return [last, last.data.length]
    }
    const rectOf = (offset: number) => {
      const [n, o] = locate(offset)
      const r = document.createRange()
      r.setStart(n, o)
      r.setEnd(n, o + 1)
      return r.getClientRects()[0]
    }
    const first = rectOf(at)
    const last = rectOf(at + needle.length - 1)
    return { x1: first.left + 1, y1: first.top + first.height / 2, x2: last.right - 0.5, y2: last.top + last.height / 2 }
  }, text)
  if (!box) throw new Error(`"${text}" is not visible in the editor`)
  // Collapse any selection first: pressing on selected text would start a drag, not a selection.
  await page.keyboard.press('ArrowRight')
  await page.mouse.move(box.x1, box.y1)
  await page.mouse.down()
  await page.mouse.move((box.x1 + box.x2) / 2, box.y2, { steps: 4 })
  await page.mouse.move(box.x2, box.y2, { steps: 4 })
  await page.mouse.up()
  return page.evaluate(() => window.getSelection()?.toString() ?? '')
}

/** Puts the cursor at the very end of the document. */
export async function cursorToEnd(page: Page): Promise<void> {
  await page.keyboard.press('Control+End')
  // Selection changes reach ProseMirror asynchronously: wait until the editor's own selection is at the end.
  await page.waitForFunction(() => {
    const v = (window as unknown as { __infill: { editorView(): { state: { selection: { head: number }; doc: { content: { size: number } } } } } }).__infill.editorView()
    return v.state.selection.head >= v.state.doc.content.size - 1
  })
}

/** The editor's document as ProseMirror JSON and as plain text (read-only look through the app). */
export async function editorSnapshot(page: Page): Promise<{ json: unknown; text: string }> {
  return page.evaluate(() => {
    const s = (window as unknown as { __infill: { editorView(): { state: { doc: { toJSON(): unknown; textBetween(a: number, b: number, sep: string): string; content: { size: number } } } } } }).__infill
    const doc = s.editorView().state.doc
    return { json: doc.toJSON(), text: doc.textBetween(0, doc.content.size, '\n\n') }
  })
}
