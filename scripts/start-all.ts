/**
 * `pnpm start`: the API and one worker as two child processes of this one, sharing the environment; the
 * worker runs as `pnpm start:worker` runs it (the bundle of `pnpm build:worker`, small semi-spaces).
 * The children have process groups of their own, so a Ctrl-C in the terminal reaches only this process,
 * which passes it on to both once (a child that got it twice would take the second as "force exit").
 * When either exits, the other is stopped too and the exit code kept.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
execFileSync('pnpm', ['-s', 'build:worker'], { cwd: root, stdio: 'inherit' })

const commands = [
  ['--import', 'tsx', 'apps/api/src/server.ts'],
  ['--max-semi-space-size=4', 'apps/worker/dist/main.mjs'],
]
const children: ChildProcess[] = commands.map((args) =>
  spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: process.env, detached: true }),
)

let exitCode = 0
let stopping = false
function stopAll(signal: NodeJS.Signals): void {
  if (stopping) return
  stopping = true
  for (const child of children) if (child.exitCode === null) child.kill(signal)
}

for (const child of children) {
  child.on('exit', (code) => {
    if (code) exitCode ||= code
    stopAll('SIGTERM')
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(exitCode)
  })
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stopAll(signal))
