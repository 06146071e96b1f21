/**
 * Why (issue 11): a fill's newline became a hard break mid-paragraph in the editor but a soft
 * break in the saved .md, so what was saved was not what was shown. Here the engine's answer
 * (the real model's, rewritten on the wire to hold line breaks) must be shown, inserted,
 * logged and saved without them, and the reopened file must equal the editor.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'
import { board, documentText, fillAll, loggedDecisions, setSampling, shownCandidate, writeAndMask } from './decisions-helpers'
import { editorSnapshot } from './writer-helpers'

const TEXT = 'The night was long and the sea was loud against the rocks.'
const WITH_BREAKS = ['\ngrey\nand cold', 'wild\n\nand wet\n', ' dark ']

test('a fill with line breaks is shown, inserted and saved as one paragraph', async ({ page, host }) => {
  test.setTimeout(240_000)
  // The engine answers through the WebSocket; its fill:done frames get candidates with line breaks.
  await page.routeWebSocket(/.*/, (ws) => {
    const server = ws.connectToServer()
    ws.onMessage((m) => server.send(m))
    server.onMessage((m) => {
      const msg = JSON.parse(String(m))
      if (msg.kind === 'event' && msg.channel === 'fill:done') {
        // (trimBefore goes with the text it was computed for: these texts keep the space before the span.)
        for (const s of msg.payload.spans) s.candidates = s.candidates.map((c: { text: string }, i: number) => ({ ...c, text: WITH_BREAKS[i % WITH_BREAKS.length], trimBefore: 0 }))
        return ws.send(JSON.stringify(msg))
      }
      ws.send(m)
    })
  })
  await openAppWithEngine(page, host)
  await writeAndMask(page, TEXT, ['long', 'loud'])
  await setSampling(page, 3)
  await fillAll(page, 2)

  // Shown without line breaks, and without a doubled space at the span's edges.
  expect(await shownCandidate(page, 's1')).toBe('grey and cold')
  await board(page, 's1').getByTestId('cand-accept').click()
  await board(page, 's2').getByTestId('cand-next').click()
  expect(await shownCandidate(page, 's2')).toBe('wild and wet')
  await board(page, 's2').getByTestId('cand-accept').click()
  const editor = page.getByTestId('editor')
  await expect(editor.locator('p')).toHaveCount(1)
  await expect(editor.locator('br:not(.ProseMirror-trailingBreak)')).toHaveCount(0)
  const text = await documentText(page)
  expect(text).toBe('The night was grey and cold and the sea was wild and wet against the rocks.')
  await page.screenshot({ path: screenshotPath('decisions-newline') })

  // Logged as shown: no candidate starts or ends with a line break.
  for (const d of await loggedDecisions(page, true)) for (const c of d.candidates) expect(c).not.toMatch(/\n/)

  // Saved and reopened: the file holds one paragraph and reopens equal to the editor.
  const shown = await editorSnapshot(page)
  await page.keyboard.press('Control+s')
  await page.getByTestId('save-name').fill('night.md')
  await page.getByTestId('save-confirm').click()
  await expect(page.getByTestId('dirty')).toHaveAttribute('data-dirty', 'false')
  expect(readFileSync(join(host.workspace, 'night.md'), 'utf8').trim()).toBe(text)
  await page.getByTestId('btn-new').click()
  await page.getByTestId('btn-open').click()
  await page.locator('[data-testid="file-entry"][data-name="night.md"]').click()
  await expect(page.getByTestId('doc-title')).toHaveText('night.md')
  expect((await editorSnapshot(page)).json).toEqual(shown.json)
  // Reopened as saved: nothing to save until the writer changes something.
  await page.getByTestId('editor').click()
  await expect(page.getByTestId('dirty')).toHaveAttribute('data-dirty', 'false')
})
