/**
 * Build-time switches (electron.vite.config.ts `define`). TEST_HOOKS is true only in test
 * builds (INFILL_TEST_HOOKS=1 at build time, as `npm test` builds): production builds do
 * not expose the session on `window`.
 */
declare const __INFILL_TEST_HOOKS__: boolean | undefined

export const TEST_HOOKS: boolean = typeof __INFILL_TEST_HOOKS__ !== 'undefined' && __INFILL_TEST_HOOKS__ === true
