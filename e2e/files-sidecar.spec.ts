/**
 * Issue 11: a marks file that no longer matched its .md (after a kill, or an edit in another
 * program) was dropped on reopen and the masks were lost. Now it is moved aside, never
 * deleted, its marks come back where the text is unchanged, and a note says so.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, openApp, screenshotPath, test } from './fixtures'
import { selectText } from './writer-helpers'

test('a document edited in another program keeps its masks where the text is unchanged', async ({ page, host }) => {
  await openApp(page, host)
  const editor = page.getByTestId('editor')
  await editor.click()
  await page.keyboard.type('The keeper counted the ships until dawn.')
  await selectText(page, 'counted the ships')
  await page.keyboard.press('Control+m')
  await expect(editor.locator('.mark-masked', { hasText: 'counted the ships' })).toHaveCount(1)
  await page.keyboard.press('Control+s')
  await page.getByTestId('save-name').fill('keeper.md')
  await page.getByTestId('save-confirm').click()
  await expect(page.getByTestId('dirty')).toHaveAttribute('data-dirty', 'false')
  const file = join(host.workspace, 'keeper.md')
  const sidecar = `${file}.infill.json`
  const oldMarks = readFileSync(sidecar, 'utf8')

  // Another editor changes the last word and adds a sentence.
  writeFileSync(file, 'The keeper counted the ships until dusk. Then he slept.\n')

  await page.goto(host.url)
  await expect(editor).toBeVisible()
  await page.getByTestId('btn-open').click()
  await page.locator('[data-testid="file-entry"][data-name="keeper.md"]').click()
  await expect(editor).toContainText('The keeper counted the ships until dusk. Then he slept.')
  const note = page.getByTestId('toast-info').filter({ hasText: 'changed outside Infill' })
  await expect(note).toContainText('The old marks file was kept as keeper.md.infill-set-aside-')
  await expect(note).toContainText(/Its marks are back on \d+ of \d+ marked characters/)
  await expect(editor.locator('.mark-masked', { hasText: 'counted the ships' })).toHaveCount(1)
  await expect(editor.locator('.mark-masked')).toHaveText(['counted the ships'])
  await page.screenshot({ path: screenshotPath('files-sidecar-restored') })

  // Moved aside, not deleted.
  expect(existsSync(sidecar)).toBe(false)
  const aside = readdirSync(host.workspace).filter((n) => n.startsWith('keeper.md.infill-set-aside-'))
  expect(aside).toHaveLength(1)
  expect(readFileSync(join(host.workspace, aside[0]), 'utf8')).toBe(oldMarks)

  // Saving writes a new marks file for the new text: reopening needs no note.
  await editor.click()
  await page.keyboard.press('Control+End')
  await page.keyboard.type(' Fin.')
  await page.keyboard.press('Control+s')
  await expect(page.getByTestId('dirty')).toHaveAttribute('data-dirty', 'false')
  expect(existsSync(sidecar)).toBe(true)
  await page.goto(host.url)
  await page.getByTestId('btn-open').click()
  await page.locator('[data-testid="file-entry"][data-name="keeper.md"]').click()
  await expect(editor).toContainText('Then he slept. Fin.')
  await expect(editor.locator('.mark-masked')).toHaveText(['counted the ships'])
  await expect(page.getByTestId('toast-info').filter({ hasText: 'changed outside Infill' })).toHaveCount(0)
})
