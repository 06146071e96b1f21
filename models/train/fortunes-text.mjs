// Held-out text from Debian's fortunes package (evaluation and the manuscript weights' fit only,
// never training): `apt-get download fortunes && dpkg-deb -x fortunes_*.deb un`, then
//   node models/train/fortunes-text.mjs OUT un/usr/share/games/fortunes/cookie un/.../computers
// writes the files' entries (separated by '%' lines) as paragraphs separated by one empty line.
import { readFileSync, writeFileSync } from 'node:fs'

const [out, ...files] = process.argv.slice(2)
if (!out || files.length === 0) {
  process.stderr.write('usage: node models/train/fortunes-text.mjs OUT FORTUNE_FILE...\n')
  process.exit(2)
}
const entries = files.flatMap((f) =>
  readFileSync(f, 'utf8')
    .split(/\n%\n/)
    .map((e) => e.replace(/^\n+|\n+$/g, ''))
    .filter((e) => e.trim() !== ''),
)
writeFileSync(out, entries.join('\n\n') + '\n')
process.stderr.write(`${out}: ${entries.length} entries, ${entries.reduce((n, e) => n + e.length, 0)} characters\n`)
