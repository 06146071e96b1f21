import { describe, expect, it } from 'vitest'
import { changedChunks, ManuscriptIndex } from './manuscript-index'
import { ManuscriptSources, openTextId } from './manuscript-sources'
import { markdownToPlain, wordsOf } from './words'

describe('wordsOf', () => {
  it('counts letters and digits, keeps an apostrophe inside a word, splits on everything else', () => {
    expect(wordsOf("Mara's lamp—lit at 9, didn't fail. ’Tis l’eau")).toEqual(["Mara's", 'lamp', 'lit', 'at', '9', "didn't", 'fail', 'Tis', 'l’eau'])
    expect(wordsOf('  \n\n ... ')).toEqual([])
    expect(wordsOf('Ísafjörður über straße')).toEqual(['Ísafjörður', 'über', 'straße'])
  })
})

describe('markdownToPlain', () => {
  it('takes out the markup a writer does not read', () => {
    const md = '# Chapter One\n\nMara walked to **Ketterby** with _her_ lamp.\n\n> A quote\n\n- one [link](http://x) item\n1. first\n\n```\ncode\n```\n<br>'
    expect(markdownToPlain(md)).toBe('Chapter One\n\nMara walked to Ketterby with her lamp.\n\nA quote\n\none link item\nfirst\n\ncode')
  })
  it('drops a byte-order mark and Windows line ends', () => {
    expect(markdownToPlain('\uFEFFa\r\nb')).toBe('a\nb')
  })
})

describe('changedChunks', () => {
  it('widens an edit to the whole words around it', () => {
    // "lamp" -> "lamps": the chunk "lamp." is recounted, nothing else.
    const before = 'Mara lit the lamp. Then she slept.'
    const after = 'Mara lit the lamps. Then she slept.'
    const c = changedChunks(before, after)
    expect(before.slice(c.from, c.oldTo)).toBe('lamp.')
    expect(after.slice(c.from, c.newTo)).toBe('lamps.')
  })
  it('an edit that joins two words recounts both', () => {
    const c = changedChunks('the old keeper', 'the oldkeeper')
    expect('the old keeper'.slice(c.from, c.oldTo)).toBe('old keeper')
    expect('the oldkeeper'.slice(c.from, c.newTo)).toBe('oldkeeper')
  })
  it('from nothing, and to nothing', () => {
    expect(changedChunks('', 'a b')).toEqual({ from: 0, oldTo: 0, newTo: 3 })
    expect(changedChunks('a b', '')).toEqual({ from: 0, oldTo: 3, newTo: 0 })
  })
})

describe('ManuscriptIndex', () => {
  it('counts words per text and over all texts, and forgets a removed text', () => {
    const index = new ManuscriptIndex()
    index.set('a', 'Mara walked to Ketterby.')
    index.set('b', 'Ketterby was cold.')
    expect(index.summary()).toEqual({ documents: 2, words: 7, distinct: 6 })
    expect(index.occurrences('Ketterby')).toBe(2)
    index.set('a', 'Mara walked home.')
    expect(index.occurrences('Ketterby')).toBe(1)
    expect(index.summary().words).toBe(6)
    index.remove('b')
    expect(index.occurrences('Ketterby')).toBe(0)
    expect(index.summary()).toEqual({ documents: 1, words: 3, distinct: 3 })
  })
  it('setting the same text again changes nothing', () => {
    const index = new ManuscriptIndex()
    expect(index.set('a', 'x y')).toBe(true)
    expect(index.set('a', 'x y')).toBe(false)
    expect(index.set('gone', null)).toBe(false)
  })
  it('an edit in the middle of a word leaves the index as a rebuild would', () => {
    const index = new ManuscriptIndex()
    index.set('a', "the keeper's lamp")
    index.set('a', "the kee per's lamp")
    index.set('a', "the kee-per's  lamp\n\nends")
    expect(index.snapshot()).toEqual(ManuscriptIndex.rebuild([['a', "the kee-per's  lamp\n\nends"]]).snapshot())
  })
})

describe('ManuscriptSources', () => {
  it('document scope: only the open text; workspace scope: the files too, the open text standing in for its file', () => {
    const s = new ManuscriptSources('document')
    s.file('/w/one.md', 'Mara came to Ketterby.')
    s.file('/w/two.md', 'old text of two')
    expect(s.index.summary().documents).toBe(0)
    const edits = s.edit('win', { documentId: 'd1', path: '/w/two.md', text: 'new text of two' })
    expect(edits).toEqual([{ kind: 'set', id: '/w/two.md', text: 'new text of two' }])
    s.setScope('workspace')
    expect(s.index.text('/w/one.md')).toBe('Mara came to Ketterby.')
    expect(s.index.text('/w/two.md')).toBe('new text of two')
    expect(s.setScope('document')).toEqual([{ kind: 'remove', id: '/w/one.md' }])
  })
  it('saving an unsaved document moves its text to the file it was saved to', () => {
    const s = new ManuscriptSources('workspace')
    s.edit('win', { documentId: 'd1', path: null, text: 'draft words' })
    expect(s.index.ids()).toEqual([openTextId({ documentId: 'd1', path: null })])
    const edits = s.saved('win', '/w/draft.md', 'draft words')
    expect(edits).toEqual([
      { kind: 'remove', id: 'unsaved:d1' },
      { kind: 'set', id: '/w/draft.md', text: 'draft words' },
    ])
  })
  it('forget clears every text, tells the engine to clear, and turns the scope off', () => {
    const s = new ManuscriptSources('workspace')
    s.file('/w/one.md', 'Mara')
    s.edit('win', { documentId: 'd1', path: null, text: 'more' })
    expect(s.forget()).toEqual([{ kind: 'clear' }])
    expect(s.scope).toBe('off')
    expect(s.index.summary()).toEqual({ documents: 0, words: 0, distinct: 0 })
    // Typing after forgetting brings nothing back.
    expect(s.edit('win', { documentId: 'd1', path: null, text: 'more words' })).toEqual([])
    expect(s.fileTexts().size).toBe(0)
  })
})
