import { readFileSync } from 'node:fs'

/**
 * Tables from a V8 `.cpuprofile` (node --cpu-prof): self time by function and by file or package, then
 * inclusive time (a frame with what it calls) by function and by package; percentages of the busy samples.
 * Usage: `pnpm exec tsx bench/profile-table.ts <file.cpuprofile> [rows] [from-seconds]`; samples taken before
 * `from-seconds` into the profile (the process's start-up: module loading, schema compilation) are left out.
 */
interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const [file, rowsArg, fromArg] = process.argv.slice(2)
if (!file) throw new Error('usage: profile-table <file.cpuprofile> [rows] [from-seconds]')
const rows = Number(rowsArg ?? 25)
const fromUs = Number(fromArg ?? 0) * 1_000_000
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const selfUs = new Map<number, number>()
let elapsedUs = 0
profile.samples.forEach((id, index) => {
  const us = profile.timeDeltas[index] ?? 0
  elapsedUs += us
  if (elapsedUs < fromUs) return
  selfUs.set(id, (selfUs.get(id) ?? 0) + us)
})
const total = [...selfUs.values()].reduce((a, b) => a + b, 0)
// Percentages are of the busy samples: the idle ones (the process waiting on I/O) are left out
const idleUs = [...selfUs]
  .filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)')
  .reduce((sum, [, us]) => sum + us, 0)
const busy = Math.max(1, total - idleUs)

function place(url: string): string {
  if (!url) return '(native/VM)'
  const path = url.replace(/^file:\/\//, '')
  const pkg = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)
  if (pkg) return pkg[1] ?? path
  if (path.startsWith('node:')) return path
  const repo = /\/(apps|packages)\/(.+)$/.exec(path)
  return repo ? `${repo[1]}/${repo[2]}` : path
}

function functionKey(node: ProfileNode): string {
  return `${node.callFrame.functionName || '(anonymous)'} ${place(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`
}

function packageKey(node: ProfileNode): string {
  return place(node.callFrame.url)
}

function print(title: string, column: string, sums: Map<string, number>): void {
  console.log(title)
  console.table(
    [...sums]
      .sort((a, b) => b[1] - a[1])
      .slice(0, rows)
      .map(([key, us]) => ({
        [column]: `${((100 * us) / busy).toFixed(1)}%`,
        ms: Math.round(us / 1000),
        key,
      })),
  )
}

/** Self time per key: each sample counted for the frame it was taken in. */
function selfBy(keyOf: (node: ProfileNode) => string): Map<string, number> {
  const sums = new Map<string, number>()
  for (const [id, us] of selfUs) {
    const node = byId.get(id)
    if (!node || node.callFrame.functionName === '(idle)') continue
    const key = keyOf(node)
    sums.set(key, (sums.get(key) ?? 0) + us)
  }
  return sums
}

/** Inclusive time per key: each sample counted once for every key on its stack (a frame with what it calls). */
const parentOf = new Map<number, number>()
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id)
function inclusiveBy(keyOf: (node: ProfileNode) => string): Map<string, number> {
  const sums = new Map<string, number>()
  for (const [id, us] of selfUs) {
    if (byId.get(id)?.callFrame.functionName === '(idle)') continue
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const node = byId.get(at)
      if (node?.callFrame.url) seen.add(keyOf(node))
    }
    for (const key of seen) sums.set(key, (sums.get(key) ?? 0) + us)
  }
  return sums
}

console.log(
  `${file}: ${(total / 1e6).toFixed(1)} s sampled, ${((100 * idleUs) / Math.max(1, total)).toFixed(1)} % idle; percentages below are of the ${(busy / 1e6).toFixed(1)} s busy`,
)
print('Self time by function', 'self', selfBy(functionKey))
print('Self time by package or file', 'self', selfBy(packageKey))
print(
  'Inclusive time by function (a frame with what it calls; JavaScript frames only)',
  'inclusive',
  inclusiveBy(functionKey),
)
print('Inclusive time by package or file', 'inclusive', inclusiveBy(packageKey))
