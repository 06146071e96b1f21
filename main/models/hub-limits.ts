/**
 * Bounds on what the Hub's API may send before a download starts: each JSON answer (model
 * info, a page of the file listing) is cut off past its byte limit, and a listing may have
 * only so many pages and entries, all on the Hub's own address. A hostile or broken hub that
 * sends a 700 MB model-info body or paginates forever gets a clear error, not the host's memory.
 * File bodies are not bounded here: their sizes come from the listing and are checked as they arrive.
 */

/** Largest model-info answer (a model's info with its file list is a few hundred KB). */
export const MAX_INFO_BYTES = 8 * 1024 * 1024
/** Largest page of a file listing (the Hub sends 1,000 entries a page, about 300 KB). */
export const MAX_LISTING_PAGE_BYTES = 8 * 1024 * 1024
/** Most pages of one listing. */
export const MAX_LISTING_PAGES = 50
/** Most entries of one listing (model repositories hold tens to hundreds of files). */
export const MAX_LISTING_ENTRIES = 20_000

/** An answer over a bound; the message says which and how large. */
export class HubLimitError extends Error {
  override name = 'HubLimitError'
}

const mb = (n: number): string => `${(n / 1048576).toFixed(0)} MiB`

/**
 * `fetchFn` whose answers' bodies are cut off past `limit` bytes (a declared Content-Length
 * over it is refused before the body is read). `what` names the answer in the error.
 */
export function boundedFetch(fetchFn: typeof fetch, limit: number, what: string, beforeRequest?: (url: string) => void): typeof fetch {
  return (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    beforeRequest?.(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
    const res = await fetchFn(input, init)
    const declared = Number(res.headers.get('content-length') ?? NaN)
    const tooLarge = (): HubLimitError => new HubLimitError(`The Hub's ${what} is larger than ${mb(limit)}; Infill stopped reading it. The Hub address may not be a Hugging Face Hub.`)
    if (Number.isFinite(declared) && declared > limit) {
      await res.body?.cancel().catch(() => undefined)
      throw tooLarge()
    }
    if (!res.body) return res
    let seen = 0
    const limited = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength
          if (seen > limit) controller.error(tooLarge())
          else controller.enqueue(chunk)
        },
      }),
    )
    return new Response(limited, { status: res.status, statusText: res.statusText, headers: res.headers })
  }) as typeof fetch
}

/**
 * The fetch for one file listing: pages bounded in bytes and in number, each on the origin of
 * the first page (a Link header to another host is refused).
 */
export function listingFetch(fetchFn: typeof fetch): typeof fetch {
  let pages = 0
  let origin: string | null = null
  return boundedFetch(fetchFn, MAX_LISTING_PAGE_BYTES, 'file listing page', (url) => {
    const here = new URL(url).origin
    origin ??= here
    if (here !== origin) throw new HubLimitError(`The Hub's file listing continues on another address (${here}); Infill stopped reading it.`)
    if (++pages > MAX_LISTING_PAGES)
      throw new HubLimitError(`The Hub's file listing goes on past ${MAX_LISTING_PAGES} pages; Infill stopped reading it. A model repository this large is not a model Infill can use.`)
  })
}

/** Throws once a listing holds more than MAX_LISTING_ENTRIES entries. */
export function checkListingLength(count: number): void {
  if (count > MAX_LISTING_ENTRIES)
    throw new HubLimitError(`The Hub's file listing has more than ${MAX_LISTING_ENTRIES.toLocaleString('en-US')} entries; Infill stopped reading it. A model repository this large is not a model Infill can use.`)
}
