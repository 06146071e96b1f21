/**
 * Issue 23 "done when": a scripted session repeats the steps — spans on offer, a new
 * mask and Ctrl+Enter with the caret in it; ↻ and Shorter on a span on offer, then a pick from
 * an earlier round; a 2–3 word range on another, then a reject — recording what each gesture
 * asked (the fill requests sent) and what each span showed (its rounds) at every decision;
 * then exports the log in the standard and conversational forms and checks every line field by
 * field against that record: texts, request, seed and settings, round, request kind, "shown
 * at", prompt, prefix and suffix.
 * Screenshots: e2e/artifacts/log-session-picked.png, log-session-log.png.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import type { FillRequest } from '../main/contract'
import { captureFillRequests } from './controls-helpers'
import { selectWords } from './decisions-helpers'
import { expect, openAppWithEngine, screenshotPath, test } from './fixtures'

const PARAGRAPH = 'The old lighthouse stood at the edge of the cliff. Every night its keeper climbed the narrow stairs to light the lamp, and the ships passed safely below.'

type Hooked = { __infill: { editorView(): any; fills: { settleAll(): Promise<unknown> } } }

/** What a span on offer showed: each round's request, texts, candidates seen and time shown. */
interface Shown {
  key: string
  from: number
  rounds: { requestId: string; spanId: string; texts: string[]; seen: number[]; shownAt: string }[]
  round: number
  current: number
}

async function spanAt(page: Page, word: string): Promise<Shown> {
  return page.evaluate((w) => {
    const v = (window as unknown as Hooked).__infill.editorView()
    const plugin = v.state.plugins.find((p: any) => p.spec.key?.key?.startsWith('infill-fill$'))
    const spans = plugin.getState(v.state).spans.filter((s: any) => s.status === 'ready')
    const s = spans.find((x: any) => v.state.doc.textBetween(x.from, x.to).includes(w))
    if (!s) throw new Error(`no span on offer holds "${w}"`)
    return {
      key: s.key,
      from: s.from,
      round: s.round,
      current: s.current,
      rounds: s.rounds.map((r: any) => ({ requestId: r.requestId, spanId: r.spanId, texts: r.candidates.map((c: any) => c.text), seen: r.seen, shownAt: r.shownAt })),
    }
  }, word)
}

async function caretIn(page: Page, word: string): Promise<void> {
  await page.evaluate((w) => {
    const v = (window as unknown as Hooked).__infill.editorView()
    let at = -1
    v.state.doc.descendants((n: any, pos: number) => {
      if (at < 0 && n.isText && n.text.includes(w)) at = pos + n.text.indexOf(w) + 1
    })
    const TextSelection = v.state.selection.constructor
    v.dispatch(v.state.tr.setSelection(TextSelection.create(v.state.doc, at)))
    v.focus()
  }, word)
}

/** The rounds of the span on offer holding `word` (0 while none is on offer). */
async function roundCount(page: Page, word: string): Promise<number> {
  return spanAt(page, word).then(
    (s) => s.rounds.length,
    () => 0,
  )
}

const ready = (page: Page) => page.locator('[data-testid="fill-board"][data-status="ready"]')
const boardOf = async (page: Page, word: string) => page.locator(`[data-testid="fill-board"][data-span-key="${(await spanAt(page, word)).key}"]`)

test('every exported line names the request, seed, settings, round and time shown of its texts', async ({ page, host }) => {
  test.setTimeout(600_000)
  const requests = captureFillRequests(page)
  /** What each request was asked as (the gesture that sent it). */
  const asked = new Map<string, 'fill' | 'shorter' | 'range'>()
  const sent = async (kind: 'fill' | 'shorter' | 'range', before: number): Promise<FillRequest> => {
    await expect.poll(() => requests.length, { timeout: 30_000 }).toBe(before + 1)
    const r = requests.at(-1)!
    asked.set(r.requestId, kind)
    return r
  }
  await openAppWithEngine(page, host)
  await page.getByTestId('editor').click()
  await page.keyboard.type(PARAGRAPH, { delay: 1 })
  await page.getByTestId('btn-settings').click()
  await page.getByTestId('set-candidates').fill('3')
  await page.getByTestId('set-temperature').fill('1')
  await page.getByTestId('set-pace').selectOption('instant')
  await page.getByTestId('set-done').click()

  // 1. Two masks, Ctrl+Enter in the writer's text: both on offer.
  for (const w of ['old lighthouse', 'narrow stairs']) {
    await selectWords(page, w)
    await page.keyboard.press('Control+m')
  }
  await caretIn(page, 'edge')
  let n = requests.length
  await page.keyboard.press('Control+Enter')
  const first = await sent('fill', n)
  expect(first.spans).toHaveLength(2)
  await expect(ready(page)).toHaveCount(2, { timeout: 180_000 })

  // 2. A new mask, the caret in it, Ctrl+Enter: that mask alone.
  await selectWords(page, 'ships')
  await page.keyboard.press('Control+m')
  await caretIn(page, 'ships')
  n = requests.length
  await page.keyboard.press('Control+Enter')
  const second = await sent('fill', n)
  expect(second.spans.map((s) => second.text.slice(s.from, s.to))).toEqual(['ships'])
  await expect(ready(page)).toHaveCount(3, { timeout: 180_000 })

  // 3. "narrow stairs": ↻ (round 2), then Shorter + Ctrl+Enter (round 3); step to round 3's second candidate.
  n = requests.length
  await (await boardOf(page, 'narrow stairs')).getByTestId('cand-regenerate').click()
  await sent('fill', n)
  await expect.poll(() => roundCount(page, 'narrow stairs'), { timeout: 180_000 }).toBe(2)
  await caretIn(page, 'narrow stairs')
  await page.getByTestId('btn-shorter').click()
  n = requests.length
  await caretIn(page, 'narrow stairs')
  await page.keyboard.press('Control+Enter')
  const shorter = await sent('shorter', n)
  expect(shorter.spans).toHaveLength(1)
  expect(shorter.spans[0].length).toBe('shorter')
  await expect.poll(() => roundCount(page, 'narrow stairs'), { timeout: 180_000 }).toBe(3)
  await caretIn(page, 'narrow stairs')
  await page.keyboard.press('Alt+]')
  // ☰: pick round 1's third candidate, accept it (Tab).
  const stairsBoard = await boardOf(page, 'narrow stairs')
  await stairsBoard.getByTestId('cand-all').click()
  await stairsBoard.locator('[data-testid="cand-pick"][data-round="0"][data-index="2"]').click()
  await expect(stairsBoard.getByTestId('cand-round')).toHaveText('Round 1 of 3')
  const stairs = await spanAt(page, 'narrow stairs')
  await page.screenshot({ path: screenshotPath('log-session-picked') })
  await caretIn(page, 'narrow stairs')
  await page.keyboard.press('Tab')
  await expect(ready(page)).toHaveCount(2)

  // 4. "ships": a 2–3 word range, Ctrl+Enter (round 2), then Esc: the original stays.
  await caretIn(page, 'ships')
  await page.getByTestId('len-min').fill('2')
  await page.getByTestId('len-max').fill('3')
  await page.getByTestId('len-max').press('Enter')
  await caretIn(page, 'ships')
  n = requests.length
  await page.keyboard.press('Control+Enter')
  const range = await sent('range', n)
  expect(range.spans[0].length).toEqual({ minWords: 2, maxWords: 3 })
  await expect.poll(() => roundCount(page, 'ships'), { timeout: 180_000 }).toBe(2)
  const ships = await spanAt(page, 'ships')
  await caretIn(page, 'ships')
  await page.keyboard.press('Escape')
  await expect(ready(page)).toHaveCount(1)

  // 5. "old lighthouse": the second candidate (›), accepted as it is.
  await caretIn(page, 'old lighthouse')
  await page.keyboard.press('Alt+]')
  const lighthouse = await spanAt(page, 'old lighthouse')
  await page.keyboard.press('Tab')
  await expect(ready(page)).toHaveCount(0)
  const docText = await page.evaluate(() => (window as unknown as Hooked).__infill.editorView().state.doc.textContent as string)

  // Export both forms from the Training log.
  await page.getByTestId('btn-preferences').click()
  const panel = page.getByTestId('prefs-panel')
  await expect(panel.getByTestId('prefs-decision')).toHaveCount(6)
  await expect(panel.getByTestId('prefs-decision-taken-back')).toHaveText(['picked from an earlier round'])
  await page.screenshot({ path: screenshotPath('log-session-log') })
  const exported: Record<string, Record<string, any>[]> = {}
  for (const format of ['standard', 'conversational'] as const) {
    await panel.getByTestId('prefs-format').selectOption(format)
    await panel.getByTestId('prefs-export-name').fill(`session-${format}.jsonl`)
    await panel.getByTestId('prefs-export').click()
    await expect(panel.getByTestId('prefs-exported')).toContainText(`session-${format}.jsonl`)
    exported[format] = readFileSync(join(host.workspace, `session-${format}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
  }

  // What was shown, per span: each seen candidate (trimmed) → its round (from 1), request and time shown.
  const settingsOf = new Map(requests.map((r) => [r.requestId, r.settings]))
  const shownOf = (s: Shown) =>
    s.rounds.flatMap((r, i) => r.seen.map((k) => ({ text: r.texts[k].trim(), round: i + 1, requestId: r.requestId, spanId: r.spanId, shownAt: r.shownAt })))
  const expectRound = (line: Record<string, any>, got: Record<string, any> | undefined, want: ReturnType<typeof shownOf>[number], what: string) => {
    expect(got, what).toBeDefined()
    expect(got!.round, `${what}: round`).toBe(want.round)
    expect(got!.request_id, `${what}: request`).toBe(want.requestId)
    expect(got!.span_id, `${what}: span id`).toBe(want.spanId)
    expect(got!.shown_at, `${what}: shown at`).toBe(want.shownAt)
    expect(got!.sampling, `${what}: settings`).toEqual(settingsOf.get(want.requestId))
    expect(got!.seed, `${what}: seed`).toBe(settingsOf.get(want.requestId)!.seed)
    expect(got!.request_kind, `${what}: kind`).toBe(asked.get(want.requestId))
    void line
  }
  const cases = [
    { name: 'narrow stairs', span: stairs, action: 'accepted', kept: stairs.rounds[0].texts[2].trim() },
    { name: 'ships', span: ships, action: 'rejected_all', kept: 'ships' },
    { name: 'old lighthouse', span: lighthouse, action: 'accepted', kept: lighthouse.rounds[0].texts[1].trim() },
  ]
  for (const format of ['standard', 'conversational'] as const) {
    const lines = exported[format]
    const text = (v: any) => (format === 'conversational' ? v[0].content : v) as string
    let total = 0
    for (const c of cases) {
      const shown = shownOf(c.span)
      const mine = lines.filter((l) => l.action === c.action && text(l.chosen).trim() === c.kept && l.span_original.trim() === c.name)
      // One line per distinct candidate shown other than the kept one.
      const rejected = [...new Set(shown.map((s) => s.text))].filter((t) => t !== c.kept)
      expect(mine.map((l) => text(l.rejected).trim()).sort(), `${format} ${c.name}: rejected texts`).toEqual(rejected.sort())
      total += mine.length
      // Lines of one decision name different requests where their rejected texts came from different rounds.
      const rounds = new Set(rejected.map((t) => shown.find((x) => x.text === t)!.requestId))
      expect(new Set(mine.map((l) => l.request_id)), `${format} ${c.name}: one request per round of the rejected texts`).toEqual(rounds)
      for (const l of mine) {
        const what = `${format} ${c.name} / "${text(l.rejected).trim()}"`
        const from = shown.find((s) => s.text === text(l.rejected).trim())!
        // The line's own request, seed, settings, round and time shown: the rejected text's.
        expect(l.request_id, `${what}: request_id`).toBe(from.requestId)
        expect(l.round, `${what}: round`).toBe(from.round)
        expect(l.shown_at, `${what}: shown_at`).toBe(from.shownAt)
        expect(l.sampling, `${what}: sampling`).toEqual(settingsOf.get(from.requestId))
        expect(l.request_kind, `${what}: request_kind`).toBe(asked.get(from.requestId))
        expectRound(l, l.rejected_round, from, `${what}: rejected_round`)
        if (c.action === 'accepted') {
          const kept = shown.find((s) => s.text === c.kept && s.round === c.span.round + 1)!
          expectRound(l, l.chosen_round, kept, `${what}: chosen_round`)
          expect(l.decision_kind).toBe(asked.get(kept.requestId))
        } else expect(l.chosen_round, `${what}: the writer's text has no round`).toBeUndefined()
        // Prompt and context: the marker once, the cue last; prefix / suffix whole words of the document.
        const prompt = format === 'conversational' ? l.prompt[0].content : l.prompt
        expect(prompt.split('<|fill|>')).toHaveLength(2)
        if (format === 'standard') expect(prompt.endsWith('\n\nWords for the blank:\n')).toBe(true)
        else expect(l.prompt[0].role).toBe('user')
        expect(prompt).toContain(`${l.prefix}<|fill|>${l.suffix}`)
        expect(/^\S/.test(l.prefix) || l.prefix === '').toBe(true)
        const whole = (l.prefix + text(l.chosen) + l.suffix).replace(/\s+/g, ' ')
        if (c.action === 'accepted' && c.name === 'old lighthouse') expect(docText.replace(/\s+/g, ' ')).toContain(whole.trim())
      }
    }
    // Nothing else: the 'regenerated' entries give no pairs, and the one retracted by the pick is left out anyway.
    expect(lines.length, `${format}: every line accounted for`).toBe(total)
    expect(new Set(lines.map((l) => l.request_id)).size, `${format}: lines from several requests`).toBeGreaterThanOrEqual(3)
  }
})
