/**
 * electron-builder afterPack hook (electron-builder.yml): flips Electron's fuses in the
 * packaged binary with @electron/fuses, before signing, so the shipped app cannot be turned
 * into a general Node runtime or load code from outside its archive (Electron checklist 19).
 * electron-builder 26's `electronFuses` option does the same, but its release line needs
 * a newer Node than this project's and a build dependency fetched from outside the registry.
 */
const { join } = require('node:path')
const { flipFuses, FuseVersion, FuseV1Options } = require('@electron/fuses')

/** The fuses Infill ships with, by @electron/fuses option name. */
const FUSES = {
  // ELECTRON_RUN_AS_NODE would make the app binary a plain Node (the engine uses utilityProcess, not fork).
  RunAsNode: false,
  // NODE_OPTIONS and --inspect could inject code or attach a debugger to the shipped app.
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  // Cookies on disk encrypted with the OS keychain.
  EnableCookieEncryption: true,
  // app.asar is checked against the hash embedded at packaging, and nothing outside it is loaded.
  EnableEmbeddedAsarIntegrityValidation: true,
  OnlyLoadAppFromAsar: true,
  // The renderer is served from app://, so file:// needs no extra privileges.
  GrantFileProtocolExtraPrivileges: false,
}

/** The packaged Electron executable for the platform electron-builder just packed. */
function executablePath(context) {
  const { appOutDir, electronPlatformName, packager } = context
  const name = packager.appInfo.productFilename
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas') return join(appOutDir, `${name}.app`)
  if (electronPlatformName === 'win32') return join(appOutDir, `${name}.exe`)
  return join(appOutDir, packager.executableName)
}

async function afterPack(context) {
  const config = { version: FuseVersion.V1, resetAdHocDarwinSignature: context.electronPlatformName === 'darwin' && context.arch === 3 /* Arch.arm64 */ }
  for (const [option, value] of Object.entries(FUSES)) config[FuseV1Options[option]] = value
  const exe = executablePath(context)
  await flipFuses(exe, config)
  console.log(`  • Electron fuses set on ${exe}: ${Object.entries(FUSES).map(([k, v]) => `${k}=${v ? 'on' : 'off'}`).join(', ')}`)
}

module.exports = afterPack
module.exports.default = afterPack
module.exports.FUSES = FUSES
