/**
 * The names a Hub download takes from outside — a repository id, a revision, the file names in
 * a repository's listing — checked in one place, for every platform Infill runs on. A name
 * that would mean something else on some file system (a backslash is a separator on Windows,
 * "CON" is a device there, a trailing dot or space is dropped) or that would map two
 * repositories to one install folder ("a/b--c" and "a--b/c") is refused, with the rule it broke.
 */
import { z } from 'zod'

/** Names Windows reserves for devices, with or without an extension. */
const WINDOWS_DEVICES = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i
/** Characters no file name may hold on Windows (plus both separators). */
const FORBIDDEN = /[<>:"|?*\\/]/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

/** Longest file name (one path component) in bytes. */
const NAME_MAX_BYTES = 255

/**
 * Why `name` is not a safe file name (one path component) on every platform, or null when it
 * is. The one check behind repository ids, revisions' parts and the file names a download writes.
 */
export function portableNameProblem(name: string): string | null {
  if (name.length === 0) return 'it is empty'
  if (CONTROL.test(name)) return 'it contains a control character (a tab, a newline, ...)'
  if (name.includes('\\')) return 'it contains a backslash, which Windows reads as a folder separator'
  if (name.includes('/')) return 'it contains a "/" (a folder separator)'
  const bad = FORBIDDEN.exec(name)
  if (bad) return `it contains "${bad[0]}", which Windows does not allow in a file name`
  if (name === '.' || name === '..') return 'it names a folder ("." or "..")'
  if (/^\s|\s$/.test(name)) return 'it starts or ends with a space'
  if (name.endsWith('.')) return 'it ends with a dot, which Windows drops'
  if (WINDOWS_DEVICES.test(name)) return `"${name.split('.')[0]}" is a device name on Windows`
  if (Buffer.byteLength(name, 'utf8') > NAME_MAX_BYTES) return `it is longer than ${NAME_MAX_BYTES} bytes`
  return null
}

/** One part of a repository id: the Hub's characters, a letter or digit at both ends, no "--" or "..". */
const REPO_PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/

/**
 * Why `id` is not a repository id (owner/name), or null. Besides the Hub's own rules, neither
 * part may contain "--": the install folder is <owner>--<name>-<variant>, and with "--" only
 * ever between the two parts, two ids never map to one folder.
 */
export function repoIdProblem(id: string): string | null {
  if (id !== id.trim() || CONTROL.test(id)) return 'it starts or ends with a space or holds a control character'
  const parts = id.split('/')
  if (parts.length !== 2) return 'a repository id is owner/name, for example answerdotai/ModernBERT-base'
  for (const [i, part] of parts.entries()) {
    const which = i === 0 ? 'the owner' : 'the name'
    const portable = portableNameProblem(part)
    if (portable) return `${which} "${part}" is not usable as a folder name: ${portable}`
    if (!REPO_PART.test(part)) return `${which} "${part}" may hold only letters, digits, ".", "_" and "-", starting and ending with a letter or digit (at most 96 characters)`
    if (part.includes('--')) return `${which} "${part}" contains "--", which the Hub does not allow (and which would make two repositories share one install folder)`
    if (part.includes('..')) return `${which} "${part}" contains "..", which the Hub does not allow`
  }
  return null
}

/** Why `rev` is not a branch, tag or commit name, or null. Used untrimmed: surrounding spaces are refused, never cut. */
export function revisionProblem(rev: string): string | null {
  if (rev.length === 0) return 'it is empty'
  if (CONTROL.test(rev)) return 'it contains a control character (a tab, a newline, ...)'
  if (rev !== rev.trim()) return 'it starts or ends with a space'
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/.test(rev)) return 'a revision is a branch, tag or commit id (letters, digits, ".", "_", "-", "/")'
  if (rev.includes('..')) return 'a revision may not contain ".."'
  if (rev.includes('//') || rev.endsWith('/') || rev.endsWith('.') || rev.endsWith('.lock')) return 'a revision may not hold "//" or end with "/", "." or ".lock" (git refuses such names)'
  return null
}

function checked(problemOf: (s: string) => string | null): z.ZodType<string> {
  return z.string().superRefine((s, ctx) => {
    const problem = problemOf(s)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })
}

/** owner/name, checked by repoIdProblem (never trimmed: what passes is used as it is). */
export const RepoId = checked(repoIdProblem)
/** A branch, tag or commit name, checked by revisionProblem. */
export const Revision = checked(revisionProblem)
