import t from 'tap'
import { ingressSelection } from '../../bench/ingress-bench.js'

t.test('a whole run at info by default; an empty setting is no setting', async (t) => {
  t.same(ingressSelection({}), { only: undefined, logLevel: 'info' })
  t.same(ingressSelection({ BENCH_INGRESS_ONLY: '', BENCH_INGRESS_LOG_LEVEL: '' }), {
    only: undefined,
    logLevel: 'info',
  })
})

t.test('one route, at another level too', async (t) => {
  for (const only of ['create', 'prototype', 'status', 'list', 'healthz']) {
    t.same(ingressSelection({ BENCH_INGRESS_ONLY: only }), { only, logLevel: 'info' })
  }
  t.same(ingressSelection({ BENCH_INGRESS_ONLY: 'healthz', BENCH_INGRESS_LOG_LEVEL: 'warn' }), {
    only: 'healthz',
    logLevel: 'warn',
  })
})

t.test('refused before anything starts, naming the setting', async (t) => {
  t.throws(() => ingressSelection({ BENCH_INGRESS_ONLY: 'helthz' }), {
    message: /^unknown BENCH_INGRESS_ONLY=helthz; expected one of create, prototype, status, list, healthz$/,
  })
  t.throws(() => ingressSelection({ BENCH_INGRESS_ONLY: 'status', BENCH_INGRESS_LOG_LEVEL: 'warning' }), {
    message: /^unknown BENCH_INGRESS_LOG_LEVEL=warning; expected one of fatal, error, warn, info/,
  })
  t.throws(() => ingressSelection({ BENCH_INGRESS_LOG_LEVEL: 'warn' }), {
    message:
      /goals are measured at LOG_LEVEL=info: BENCH_INGRESS_LOG_LEVEL=warn goes with BENCH_INGRESS_ONLY/,
  })
})
