/**
 * Why (issue 11): typing inside a pending candidate was silently dropped. With the caret in a
 * span on offer, typing (or Backspace) must accept the candidate on show and edit it, and be
 * logged as accepted_edited with the writer's final text.
 */
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'
import { cursorToEnd } from './writer-helpers'
import { caretAt, documentText, fillAll, loggedDecisions, setSampling, shownCandidate, shownSeparator, spanRange, writeAndMask } from './decisions-helpers'

const TEXT = 'The wind was cold on the pier. A gull stood on the rail and watched.'

test('typing or Backspace inside a pending candidate accepts it for editing', async ({ page, host }) => {
  test.setTimeout(240_000)
  await openAppWithEngine(page, host)
  await writeAndMask(page, TEXT, ['cold', 'stood on'])
  await setSampling(page, 2)
  await fillAll(page, 2)
  const ready = page.locator('[data-testid="fill-board"][data-status="ready"]')

  const shown1 = await shownCandidate(page, 's1')
  // '' when the candidate joins the word before it ("'s", a comma): it takes the space before its span.
  const sep1 = await shownSeparator(page, 's1')
  // as a writer would: click the candidate's text, then type (the caret goes into the span, not the widget)
  await page.locator('[data-testid="fill-board"][data-span-id="s1"] [data-testid="cand-text"]').click()
  await page.keyboard.type('XY')
  await expect(ready).toHaveCount(1)
  await expect(page.getByTestId('editor')).toContainText(`The wind was${sep1}${shown1}XY on the pier.`)
  await page.screenshot({ path: screenshotPath('decisions-type-inside') })

  const shown2 = await shownCandidate(page, 's2')
  const sep2 = await shownSeparator(page, 's2')
  const r2 = await spanRange(page, 's2')
  await caretAt(page, r2.to)
  await page.keyboard.press('Backspace')
  await expect(ready).toHaveCount(0)
  await cursorToEnd(page) // leaves both: the edits are final
  const text = await documentText(page)
  expect(text).toBe(TEXT.replace(' cold', `${sep1}${shown1}XY`).replace(' stood on', sep2 + shown2.slice(0, -1)))

  const logged = (await loggedDecisions(page, true)).reverse()
  const expected = [['cold', 'accepted_edited', `${shown1}XY`]]
  // Backspace over a one-letter candidate leaves nothing; over longer ones, all but its last letter.
  expected.push(['stood on', shown2.length ? 'accepted_edited' : 'accepted', shown2.slice(0, -1)])
  // (An entry takes in the space before its span when a candidate joins the word before.)
  expect(logged.map((d) => [d.spanOriginal.trimStart(), d.action, d.finalText.trimStart()])).toEqual(expected)
  // prefix + chosen + suffix: the document when each was decided (span 2 was still on offer, its own text hidden, at the first).
  expect(logged[0].prefix + logged[0].finalText + logged[0].suffix).toBe(TEXT.replace(' cold', `${sep1}${shown1}XY`))
  expect(logged[1].prefix + logged[1].finalText + logged[1].suffix).toBe(text)
})
