/**
 * `pnpm start`: the API and one worker as two child processes of this one, sharing the environment.
 * A signal is passed on to both; when either exits, the other is stopped too and the exit code kept.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const children: ChildProcess[] = ['apps/api/src/server.ts', 'apps/worker/src/main.ts'].map((entry) =>
  spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, stdio: 'inherit', env: process.env }),
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
