/**
 * bench/RESULTS.md is shared by several benches: `npm run bench` writes the page, and the
 * other benches (fill-length, modernbert-speed) each own one section between
 * `<!-- NAME:begin -->` and `<!-- NAME:end -->` markers. These helpers replace or append one
 * section, and carry the marked sections over when the page is rewritten.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

const markers = (name: string) => ({ begin: `<!-- ${name}:begin -->`, end: `<!-- ${name}:end -->` })

/** `page` with the section `name` set to `section` (replaced in place, or appended). */
export function withSection(page: string, name: string, section: string): string {
  const { begin, end } = markers(name)
  const block = `${begin}\n${section}${end}\n`
  const start = page.indexOf(begin)
  const stop = page.indexOf(end)
  return start >= 0 && stop > start
    ? page.slice(0, start) + block + page.slice(stop + end.length + 1)
    : `${page.trimEnd()}\n\n${block}`
}

/** Writes the section `name` of the Markdown file at `path`, keeping the rest of the file. */
export function writeSection(path: string, name: string, section: string): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : ''
  writeFileSync(path, withSection(current, name, section))
}

/** Every marked section of `page`, by name, as `withSection` expects it. */
export function markedSections(page: string): Map<string, string> {
  const found = new Map<string, string>()
  for (const m of page.matchAll(/<!-- ([\w-]+):begin -->\n([\s\S]*?)<!-- \1:end -->/g)) found.set(m[1], m[2])
  return found
}
