/**
 * Why (issue 11): the training log could only be cleared whole. The panel must delete one
 * decision and its pairs, keeping the rest (counts, pairs and export follow).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'
import { cursorToEnd } from './writer-helpers'
import { board, fillAll, loggedDecisions, setSampling, writeAndMask } from './decisions-helpers'

const TEXT = 'The tide came in slowly over the flat grey sand.'

test('the training-log panel deletes one decision and its pairs', async ({ page, host }) => {
  test.setTimeout(240_000)
  await openAppWithEngine(page, host)
  await writeAndMask(page, TEXT, ['slowly', 'flat grey'])
  await setSampling(page, 2)
  await fillAll(page, 2)
  await board(page, 's1').getByTestId('cand-next').click()
  await board(page, 's1').getByTestId('cand-reject').click()
  await board(page, 's2').getByTestId('cand-next').click() // two candidates seen: the accept yields a pair
  await board(page, 's2').getByTestId('cand-accept').click()
  await cursorToEnd(page)
  const logged = await loggedDecisions(page, true)
  expect(logged.map((d) => d.action).sort()).toEqual(['accepted', 'rejected_all'])
  const rejected = logged.find((d) => d.action === 'rejected_all')!

  await page.getByTestId('btn-preferences').click()
  const panel = page.getByTestId('prefs-panel')
  await expect(panel.getByTestId('prefs-total')).toHaveText('2')
  const row = panel.locator(`[data-testid="prefs-decision"][data-decision-id="${rejected.id}"]`)
  await row.getByTestId('prefs-delete').click()
  await expect(row.getByTestId('prefs-confirm-delete')).toBeVisible()
  await page.screenshot({ path: screenshotPath('decisions-delete-confirm') })
  await row.getByTestId('prefs-delete-confirm').click()
  await expect(panel.getByTestId('prefs-total')).toHaveText('1')
  await expect(panel.getByTestId('prefs-count-rejected_all')).toHaveText('0')
  await expect(panel.getByTestId('prefs-count-accepted')).toHaveText('1')
  await expect(row).toHaveCount(0)
  await page.screenshot({ path: screenshotPath('decisions-delete-done') })

  // The export holds only the remaining decision's pairs.
  await panel.getByTestId('prefs-export-name').fill('after-delete.jsonl')
  await panel.getByTestId('prefs-export').click()
  await expect(panel.getByTestId('prefs-exported')).toContainText('after-delete.jsonl')
  const lines = readFileSync(join(host.workspace, 'after-delete.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { decision_id: number; action: string })
  for (const l of lines) expect(l.action).toBe('accepted')
  expect(lines.map((l) => l.decision_id)).not.toContain(rejected.id)
})
