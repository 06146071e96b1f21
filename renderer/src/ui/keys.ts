/**
 * The platform's modifier as the UI writes it in titles and menus: ⌘ or Ctrl+. In a module of
 * its own so a module that Toolbar.tsx imports can use it while being evaluated (imported from
 * Toolbar.tsx it was still undefined then: "Bold (undefinedB)").
 */
const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform)
export const MOD = isMac ? '⌘' : 'Ctrl+'
