/**
 * Why (issue 11): the writer accepted one span by accident, then ✎-edited a different span;
 * the log recorded the first as accepted_edited with the other span's edit merged into its
 * "chosen", and the real edit as a plain accept. Here each decision must be logged from its
 * own span: span 1 accepted as shown, span 2 accepted_edited with exactly the typed text as
 * chosen and the accepted candidate as rejected; nothing starts with a line break.
 */
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'
import { cursorToEnd } from './writer-helpers'
import { board, documentText, fillAll, loggedDecisions, loggedPairs, setSampling, shownCandidate, shownSeparator, writeAndMask } from './decisions-helpers'

const TEXT = 'The sea was calm that morning. The old keeper walked slowly down to the harbour.'

test('accepting one span and editing another logs each from its own span', async ({ page, host }) => {
  test.setTimeout(240_000)
  await openAppWithEngine(page, host)
  await writeAndMask(page, TEXT, ['calm', 'walked slowly'])
  await setSampling(page, 2)
  await fillAll(page, 2)

  const first = await shownCandidate(page, 's1')
  // '' when a candidate joins the word before it ("'s", a comma): it takes the space before its span.
  const sep1 = await shownSeparator(page, 's1')
  await board(page, 's1').getByTestId('cand-accept').click() // the accident
  const second = await shownCandidate(page, 's2')
  const sep2 = await shownSeparator(page, 's2')
  await board(page, 's2').getByTestId('cand-edit').click()
  await page.keyboard.type('ran')
  await cursorToEnd(page) // leaves the edited text: its edit is final
  await page.keyboard.type(' Gulls cried.')
  await page.screenshot({ path: screenshotPath('decisions-accept-edit') })
  const decided1 = TEXT.replace(' calm', sep1 + first)
  const decided2 = decided1.replace(' walked slowly', `${sep2}ran`)
  expect(await documentText(page)).toBe(decided2 + ' Gulls cried.')

  const logged = (await loggedDecisions(page, true)).reverse()
  // The first is logged when ✎ takes the caret away from it, the second when the caret leaves the edit.
  // (An entry takes in the space before its span when one of its candidates joins the word before.)
  expect(logged.map((d) => [d.spanOriginal.trimStart(), d.action, d.finalText.trimStart()])).toEqual([
    ['calm', 'accepted', first],
    ['walked slowly', 'accepted_edited', 'ran'],
  ])
  const pairs = await loggedPairs(page)
  const edited = pairs.filter((p) => p.action === 'accepted_edited').map((p) => [p.chosen.trimStart(), p.rejected.trimStart()])
  expect(edited).toEqual([['ran', second]])
  for (const p of pairs.filter((p) => p.action === 'accepted')) expect(p.chosen.trimStart()).toBe(first)
  for (const d of logged) for (const c of d.candidates) expect(c).not.toMatch(/^\s*\n|\n\s*$/)
  // prefix + chosen + suffix is the document as it was when each decision was made.
  expect(logged[0].prefix + logged[0].finalText + logged[0].suffix).toBe(decided1)
  expect(logged[1].prefix + logged[1].finalText + logged[1].suffix).toBe(decided2)
})
