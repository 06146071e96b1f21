/**
 * Reading a document's bytes as text. Infill edits UTF-8 only: a file in another encoding
 * is refused with a message naming the encoding (nothing is changed on disk), so its bytes
 * can never be silently replaced by U+FFFD on the next save. A UTF-8 byte-order mark is
 * kept: the text is read without it and it is written back when the file had one.
 */

export const UTF8_BOM = Uint8Array.of(0xef, 0xbb, 0xbf)

export type DecodedText = { ok: true; text: string; bom: boolean } | { ok: false; encoding: string; detail: string }

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b)
}

/** Offset of the first byte that breaks UTF-8 (for the message), or -1 when every byte sequence is valid. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i]
    if (b < 0x80) {
      i++
      continue
    }
    // Lead byte: length of the sequence and the allowed range of the second byte (RFC 3629).
    let len: number
    let lo = 0x80
    let hi = 0xbf
    if (b >= 0xc2 && b <= 0xdf) len = 2
    else if (b === 0xe0) (len = 3), (lo = 0xa0)
    else if (b >= 0xe1 && b <= 0xec) len = 3
    else if (b === 0xed) (len = 3), (hi = 0x9f)
    else if (b >= 0xee && b <= 0xef) len = 3
    else if (b === 0xf0) (len = 4), (lo = 0x90)
    else if (b >= 0xf1 && b <= 0xf3) len = 4
    else if (b === 0xf4) (len = 4), (hi = 0x8f)
    else return i
    if (i + len > bytes.length) return i
    if (bytes[i + 1] < lo || bytes[i + 1] > hi) return i
    for (let k = 2; k < len; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return i
    i += len
  }
  return -1
}

/** Decodes a document's bytes, or says which encoding it appears to be in instead of UTF-8. */
export function decodeDocument(bytes: Uint8Array): DecodedText {
  if (startsWith(bytes, [0xff, 0xfe, 0x00, 0x00]) || startsWith(bytes, [0x00, 0x00, 0xfe, 0xff])) {
    return { ok: false, encoding: 'UTF-32', detail: 'it starts with a UTF-32 byte-order mark' }
  }
  if (startsWith(bytes, [0xff, 0xfe])) return { ok: false, encoding: 'UTF-16 (little-endian)', detail: 'it starts with a UTF-16 byte-order mark' }
  if (startsWith(bytes, [0xfe, 0xff])) return { ok: false, encoding: 'UTF-16 (big-endian)', detail: 'it starts with a UTF-16 byte-order mark' }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    const bad = Math.max(0, firstInvalidUtf8(bytes))
    const byte = `0x${bytes[bad].toString(16).toUpperCase().padStart(2, '0')}`
    if (bytes.includes(0)) return { ok: false, encoding: 'UTF-16 without a byte-order mark, or binary', detail: `byte ${byte} at offset ${bad} is not UTF-8 and the file contains zero bytes` }
    return { ok: false, encoding: 'Latin-1 (ISO-8859-1 / Windows-1252)', detail: `byte ${byte} at offset ${bad} is not UTF-8` }
  }
  return { ok: true, text, bom: startsWith(bytes, [...UTF8_BOM]) }
}

/** The bytes a document's text is saved as (with the UTF-8 byte-order mark when the file had one). */
export function encodeDocument(text: string, bom: boolean): Buffer {
  const body = Buffer.from(text, 'utf8')
  return bom ? Buffer.concat([UTF8_BOM, body]) : body
}
