import { spawn } from 'node:child_process'
import { randomInt } from 'node:crypto'

/**
 * `pnpm fuzz`: the contract fuzzer (test/fuzz/openapi-fuzz.test.ts) at length: FUZZ_RUNS cases (100,000 by
 * default) from FUZZ_SEED (random by default), with no time limit. It prints the seed first, every failure's
 * shrunk request, and a final count line (cases, per-status counts, 5xx = N).
 */
const seed = process.env.FUZZ_SEED ?? String(randomInt(1, 2 ** 31 - 1))
const runs = process.env.FUZZ_RUNS ?? '100000'
console.log(`pnpm fuzz: FUZZ_SEED=${seed} FUZZ_RUNS=${runs}`)
const child = spawn(
  'pnpm',
  ['exec', 'tap', '--timeout=0', '--reporter=tap', '--disable-coverage', 'test/fuzz/openapi-fuzz.test.ts'],
  { stdio: 'inherit', env: { ...process.env, FUZZ_SEED: seed, FUZZ_RUNS: runs } },
)
child.on('exit', (code) => {
  console.log(`pnpm fuzz: FUZZ_SEED=${seed} FUZZ_RUNS=${runs} exit ${code}`)
  process.exit(code ?? 1)
})
