import { defineConfig } from '@playwright/test'

/**
 * End-to-end tests drive browser mode in the system's Chromium (Debian's `chromium`
 * package). Playwright's own browser download is never used. Screenshots land in
 * e2e/artifacts/ (git-ignored).
 */
export const CHROMIUM_PATH = process.env.INFILL_CHROMIUM ?? '/usr/bin/chromium'

export default defineConfig({
  testDir: 'e2e',
  // Rebuilds out/ as a test build (window.__infill) when it is a production build.
  globalSetup: './e2e/global-setup.ts',
  outputDir: 'e2e/artifacts/test-results',
  timeout: 180_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    viewport: { width: 1280, height: 860 },
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-default-apps',
        '--disable-extensions',
      ],
    },
    trace: 'off',
    screenshot: 'only-on-failure',
  },
})
