import { readFileSync } from 'node:fs'

/**
 * Top self-time tables from a V8 `.cpuprofile` (node --cpu-prof): by function and by file or package.
 * Usage: `tsx bench/profile-table.ts <file.cpuprofile> [rows]`.
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

const [file, rowsArg] = process.argv.slice(2)
if (!file) throw new Error('usage: profile-table <file.cpuprofile> [rows]')
const rows = Number(rowsArg ?? 25)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const selfUs = new Map<number, number>()
profile.samples.forEach((id, index) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0))
})
const total = [...selfUs.values()].reduce((a, b) => a + b, 0)

function place(url: string): string {
  if (!url) return '(native/VM)'
  const path = url.replace(/^file:\/\//, '')
  const pkg = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)
  if (pkg) return pkg[1] ?? path
  if (path.startsWith('node:')) return path
  const repo = /\/(apps|packages)\/(.+)$/.exec(path)
  return repo ? `${repo[1]}/${repo[2]}` : path
}

function top(keyOf: (node: ProfileNode) => string): void {
  const sums = new Map<string, number>()
  for (const [id, us] of selfUs) {
    const node = byId.get(id)
    if (!node) continue
    const key = keyOf(node)
    sums.set(key, (sums.get(key) ?? 0) + us)
  }
  const table = [...sums]
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows)
    .map(([key, us]) => ({ self: `${((100 * us) / total).toFixed(1)}%`, ms: Math.round(us / 1000), key }))
  console.table(table)
}

console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`)
top(
  (node) =>
    `${node.callFrame.functionName || '(anonymous)'} ${place(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`,
)
top((node) => place(node.callFrame.url))

// Inclusive: the share of samples with the package anywhere on the stack (each sample counted once per package)
const parentOf = new Map<number, number>()
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id)
const inclusive = new Map<string, number>()
for (const [id, us] of selfUs) {
  const seen = new Set<string>()
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const node = byId.get(at)
    if (node?.callFrame.url) seen.add(place(node.callFrame.url))
  }
  for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + us)
}
console.table(
  [...inclusive]
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows)
    .map(([key, us]) => ({
      inclusive: `${((100 * us) / total).toFixed(1)}%`,
      ms: Math.round(us / 1000),
      key,
    })),
)
