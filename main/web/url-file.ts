/** `--url-file`: the printed address, for scripts. It carries the run's token. */
import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs'

/** Writes the address readable by this user only (0600), also when the file existed before. */
export function writeUrlFile(path: string, url: string): void {
  const fd = openSync(path, 'w', 0o600)
  try {
    fchmodSync(fd, 0o600) // before the token is written
    writeSync(fd, url)
  } finally {
    closeSync(fd)
  }
}
