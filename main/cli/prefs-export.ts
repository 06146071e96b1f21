/**
 * Exports the preference log as JSON Lines for tuning:
 *
 *     npm run prefs:export -- --db FILE --out FILE [--format standard|implicit|unpaired|conversational]
 *
 * Prints one line: how many lines were written, and where. The log is opened read-only:
 * this tool never changes, migrates or sets aside the file, even a corrupt one (the app
 * does that when it opens the log). Formats and the prompt template: main/store/README.md.
 */
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { ExportFormat } from '../contract'
import { PreferenceStoreError } from '../store/errors'
import { PreferenceStore } from '../store/preference-store'

/** The usage text (also printed by --help). */
export const USAGE = `Usage: npm run prefs:export -- --db FILE --out FILE [--format standard|implicit|unpaired|conversational]

  --db FILE       the preference log (prefs.sqlite in Infill's user-data folder); opened read-only
  --out FILE      the JSON Lines file to write (replaced atomically if it exists)
  --format NAME   standard (prompt, chosen, rejected; the default), implicit (chosen, rejected
                  as whole texts), unpaired (prompt, completion, label: for KTO) or
                  conversational (the standard pair as chat messages)
  --help          show this text`

/** What a run printed and its exit status (0 done, 1 the export failed, 2 bad arguments). */
export interface CommandOutcome {
  code: number
  stdout: string
  stderr: string
}

/** Runs the command on `args` (without the node and script paths). */
export function runPrefsExport(args: string[]): CommandOutcome {
  let values: { db?: string; out?: string; format?: string; help?: boolean }
  try {
    ;({ values } = parseArgs({
      args,
      options: { db: { type: 'string' }, out: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
      strict: true,
    }))
  } catch (err) {
    return usageError((err as Error).message)
  }
  if (values.help) return { code: 0, stdout: USAGE + '\n', stderr: '' }
  if (!values.db) return usageError('--db is required: the path of the preference log (prefs.sqlite).')
  if (!values.out) return usageError('--out is required: the path of the JSON Lines file to write.')
  const format = ExportFormat.safeParse(values.format ?? 'standard')
  if (!format.success) return usageError(`--format "${values.format}" is not a format; use one of ${ExportFormat.options.join(', ')}.`)

  let store: PreferenceStore | undefined
  try {
    store = PreferenceStore.openReadOnly(values.db)
    const { path, lines } = store.export(format.data, values.out)
    const note = lines === 0 ? ' (the log holds no preference data for this format yet)' : ''
    return { code: 0, stdout: `Wrote ${lines} ${lines === 1 ? 'line' : 'lines'} (${format.data}) to ${path}${note}\n`, stderr: '' }
  } catch (err) {
    if (err instanceof PreferenceStoreError) return { code: 1, stdout: '', stderr: `prefs:export: ${err.message}\n` }
    throw err
  } finally {
    store?.close()
  }
}

function usageError(problem: string): CommandOutcome {
  return { code: 2, stdout: '', stderr: `prefs:export: ${problem}\n\n${USAGE}\n` }
}

function isMainModule(): boolean {
  const script = process.argv[1]
  if (!script) return false
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href
  } catch {
    return false
  }
}

if (isMainModule()) {
  const outcome = runPrefsExport(process.argv.slice(2))
  process.stdout.write(outcome.stdout)
  process.stderr.write(outcome.stderr)
  process.exitCode = outcome.code
}
