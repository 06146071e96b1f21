import { describe, expect, it } from 'vitest'
import { decodeDocument, encodeDocument, firstInvalidUtf8 } from './document-encoding'

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b)

describe('document encoding', () => {
  it('finds the first byte that breaks UTF-8', () => {
    expect(firstInvalidUtf8(Buffer.from('plain ascii'))).toBe(-1)
    expect(firstInvalidUtf8(Buffer.from('caf\u00e9 \u20ac \u{1f600}'))).toBe(-1)
    expect(firstInvalidUtf8(Buffer.from('caf\xe9', 'latin1'))).toBe(3) // lone Latin-1 é
    expect(firstInvalidUtf8(bytes(0x61, 0xc0, 0x80))).toBe(1) // overlong encoding
    expect(firstInvalidUtf8(bytes(0xed, 0xa0, 0x80))).toBe(0) // UTF-16 surrogate
    expect(firstInvalidUtf8(bytes(0xe2, 0x82))).toBe(0) // truncated at the end
    expect(firstInvalidUtf8(bytes(0xf4, 0x90, 0x80, 0x80))).toBe(0) // beyond U+10FFFF
  })

  it('decodes UTF-8, keeps note of a byte-order mark, and encodes back to the same bytes', () => {
    const withBom = Buffer.concat([bytes(0xef, 0xbb, 0xbf), Buffer.from('Caf\u00e9')])
    const decoded = decodeDocument(withBom)
    expect(decoded).toEqual({ ok: true, text: 'Caf\u00e9', bom: true })
    expect(encodeDocument('Caf\u00e9', true).equals(withBom)).toBe(true)
    expect(decodeDocument(Buffer.from('x'))).toEqual({ ok: true, text: 'x', bom: false })
  })

  it('names the encoding it refuses', () => {
    expect(decodeDocument(Buffer.from('na\xefve', 'latin1'))).toMatchObject({ ok: false, encoding: expect.stringMatching(/Latin-1/), detail: 'byte 0xEF at offset 2 is not UTF-8' })
    expect(decodeDocument(bytes(0xff, 0xfe, 0x68, 0x00))).toMatchObject({ ok: false, encoding: 'UTF-16 (little-endian)' })
    expect(decodeDocument(bytes(0xff, 0xfe, 0x00, 0x00))).toMatchObject({ ok: false, encoding: 'UTF-32' })
    expect(decodeDocument(bytes(0x68, 0x00, 0xe9, 0x00))).toMatchObject({ ok: false, encoding: expect.stringMatching(/UTF-16 without a byte-order mark/) })
  })
})
