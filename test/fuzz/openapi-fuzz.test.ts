import t from 'tap'
import { build, TEST_SECRET, token } from '../../apps/api/test/helper.js'
import { formatFailure, fuzzContract, summary } from './contract-fuzzer.js'

// CI: a fixed seed and a bounded number of cases; `pnpm fuzz` sets FUZZ_SEED (random) and FUZZ_RUNS (100,000).
const seed = Number(process.env.FUZZ_SEED ?? 20_261_129)
const runs = Number(process.env.FUZZ_RUNS ?? 3000)

t.test(
  'every operation of the served OpenAPI document answers fuzzed requests as documented',
  { skip: process.env.TEST_STORE === 'mongodb' ? 'the store digest reads PostgreSQL tables' : false },
  async (t) => {
    const app = await build(t, { RATE_LIMIT_PER_MINUTE: '0' })
    t.comment(`fuzz: seed ${seed}, ${runs} cases (FUZZ_SEED=${seed} FUZZ_RUNS=${runs} replays it)`)
    const report = await fuzzContract(app, {
      seed,
      runs,
      storeUrl: app.config.STORE_URL,
      tokens: {
        valid: token(),
        readOnly: token({ scopes: ['events:read'] }),
        expired: token({ expiresIn: -60 }),
        wrongSecret: token({ key: `${TEST_SECRET}-but-another-one` }),
        unsigned: token({ algorithm: 'none' }),
      },
      log: (line) => t.comment(line),
    })
    for (const failure of report.failures) t.fail(formatFailure(failure))
    t.comment(summary(report))
    t.ok(report.cases >= runs, `${report.cases} cases run`)
    t.equal(report.failures.length, 0, 'no operation answered against its contract')
  },
)
