/** How the count experts' training stream is joined (count-experts.ts). */

/**
 * The training stream as the app shows text: the app joins paragraphs with a blank line
 * ("\n\n"), the training stream separates documents with eos, which no text the writer holds
 * contains. Each eos becomes two newline ids, so the counts know what starts and ends a paragraph.
 */
export function withBlankLineBorders(ids: Int32Array, eos: number, newline: number): Int32Array {
  let n = 0
  for (const id of ids) n += id === eos ? 2 : 1
  const out = new Int32Array(n)
  let j = 0
  for (const id of ids) {
    if (id === eos) {
      out[j++] = newline
      out[j++] = newline
    } else out[j++] = id
  }
  return out
}
