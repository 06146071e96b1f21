import { describe, expect, it } from 'vitest'
import { markedSections, withSection } from './results-section'

describe('RESULTS.md sections', () => {
  it('appends a section, then replaces it in place', () => {
    const once = withSection('# Page\n', 'speed', 'first\n')
    expect(once).toBe('# Page\n\n<!-- speed:begin -->\nfirst\n<!-- speed:end -->\n')
    const twice = withSection(once + 'tail\n', 'speed', 'second\n')
    expect(twice).toBe('# Page\n\n<!-- speed:begin -->\nsecond\n<!-- speed:end -->\ntail\n')
  })

  it('carries every marked section over to a rewritten page', () => {
    const old = withSection(withSection('# Old run\n', 'a', 'A figures\n'), 'b', 'B figures\n')
    let page = '# New run\n'
    for (const [name, section] of markedSections(old)) page = withSection(page, name, section)
    expect(page).toContain('# New run')
    expect(page).not.toContain('# Old run')
    expect([...markedSections(page)]).toEqual([['a', 'A figures\n'], ['b', 'B figures\n']])
  })
})
