/**
 * Crash-test child: opens the store at argv[2] and logs decisions in a tight loop (the
 * request id of decision i is `${argv[3]}-${i}`). After each log() returns, i.e. after the
 * commit was acknowledged, it writes "<id> <request id>" to stdout synchronously (fd 1).
 * The parent kills it with SIGKILL mid-burst; it never stops on its own before 1,000,000.
 */
import { writeSync } from 'node:fs'
import { PreferenceStore } from '../preference-store'
import { sampleDecision } from './decisions'

const [dbPath, tag = 'burst'] = process.argv.slice(2)
if (!dbPath) {
  process.stderr.write('usage: log-burst.ts DB_PATH [TAG]\n')
  process.exit(2)
}
const store = PreferenceStore.open(dbPath)
if (store.setAside) throw new Error(`unexpected set-aside: ${store.setAside.message}`)
for (let i = 0; i < 1_000_000; i++) {
  const requestId = `${tag}-${i}`
  const result = store.log(sampleDecision({ requestId, prefix: `decision ${i} `.repeat(20) }))
  if (!result.logged) throw new Error(result.message)
  writeSync(1, `${result.id} ${requestId}\n`)
}
store.close()
