// @vitest-environment jsdom
import { act } from 'react'
import { createRoot } from 'react-dom/client'
import { describe, expect, it } from 'vitest'
import type { ManuscriptState } from '../../../main/contract'
import { fakeApi } from '../app/fake-api'
import { Session } from '../app/session'
import { drawsOnNote, ForgetTextDialog, YourTextSettings, YourTextStatus } from './YourText'

;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true

const state = (patch: Partial<ManuscriptState> = {}): ManuscriptState => ({ scope: 'workspace', yourWords: 0.5, documents: 3, words: 12480, distinct: 2100, workspaceDir: '/ws', indexing: false, ...patch })

describe('what the status bar says', () => {
  it('the words the fills draw on, none when off, and that the workspace is being read', () => {
    expect(drawsOnNote(state())).toBe('Fills draw on 12,480 words of your text')
    expect(drawsOnNote(state({ words: 1 }))).toBe('Fills draw on 1 word of your text')
    expect(drawsOnNote(state({ scope: 'off', words: 0 }))).toBe('Fills draw on none of your text')
    expect(drawsOnNote(state({ words: 0, indexing: true }))).toBe('Reading your documents…')
    expect(drawsOnNote(null)).toBeNull()
  })
})

describe('Your text in the settings', () => {
  it('the scope and the slider go to the host; Forget asks first, then clears', async () => {
    const { api, calls } = fakeApi()
    let current = state()
    const invoke = api.invoke
    api.invoke = (async (channel: string, payload: unknown) => {
      if (!channel.startsWith('manuscript:')) return invoke(channel as never, payload as never)
      calls.push({ channel: channel as 'manuscript:state', payload })
      if (channel === 'manuscript:settings') current = { ...current, ...(payload as object) }
      if (channel === 'manuscript:forget') current = state({ scope: 'off', documents: 0, words: 0, distinct: 0 })
      return current
    }) as typeof api.invoke
    const s = new Session(api)
    s.manuscript.listen()
    const place = document.createElement('div')
    document.body.append(place)
    const root = createRoot(place)
    await act(async () => {
      root.render(
        <>
          <YourTextStatus session={s} />
          <YourTextSettings session={s} />
          <ForgetTextDialog session={s} />
        </>,
      )
    })
    const q = (id: string) => place.querySelector<HTMLElement>(`[data-testid="${id}"]`)
    expect(q('your-text-status')?.textContent).toBe('Fills draw on 12,480 words of your text')
    expect((q('set-your-text') as HTMLSelectElement).value).toBe('workspace')

    // The slider's left end is Your words (yourWords 1).
    const slider = q('set-your-words') as HTMLInputElement
    await act(async () => {
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(slider, '0.2')
      slider.dispatchEvent(new Event('input', { bubbles: true }))
    })
    expect(calls.filter((c) => c.channel === 'manuscript:settings').at(-1)?.payload).toEqual({ yourWords: 0.8 })
    expect(s.manuscript.experts()).toMatchObject({ yourWords: 0.8 })

    // Forget: a confirmation first; Cancel forgets nothing.
    await act(async () => q('btn-forget-text')!.click())
    expect(q('dialog-forget-text')?.textContent).toContain('12,480 words now')
    await act(async () => q('forget-cancel')!.click())
    expect(q('dialog-forget-text')).toBeNull()
    expect(calls.some((c) => c.channel === 'manuscript:forget')).toBe(false)
    await act(async () => q('btn-forget-text')!.click())
    await act(async () => q('forget-confirm')!.click())
    expect(calls.find((c) => c.channel === 'manuscript:forget')?.payload).toEqual({ confirm: true })
    expect(q('your-text-status')?.textContent).toBe('Fills draw on none of your text')
    expect((q('set-your-text') as HTMLSelectElement).value).toBe('off')
    expect((q('set-your-words') as HTMLInputElement).disabled).toBe(true)
    await act(async () => root.unmount())
  })
})
