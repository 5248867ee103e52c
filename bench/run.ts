/**
 * `pnpm bench [core|service|engine|ingress]`: the speed and memory goals of scheduler-api, measured (never asserted in
 * tests). `core` runs the pure placement code; `service` runs the real API and worker against the local
 * Redis and PostgreSQL and sends a burst;
 * `engine` measures the placement worker's figures against their baselines (table + bench-engine.json);
 * `ingress` measures the API's creates and reads against a bare Fastify hello-world (table + bench-ingress.json).
 */
import { runCoreBench } from './core-bench.js'
import { runEngineBench } from './engine-bench.js'
import { type IngressSelection, ingressSelection, runIngressBench } from './ingress-bench.js'
import { runServiceBench } from './service-bench.js'

const BENCHES = ['core', 'service', 'engine', 'ingress']

/** A wrong name or setting is a one-line refusal, before any bench starts. */
function refuse(message: string): never {
  console.error(`pnpm bench: ${message}`)
  process.exit(1)
}

const which = process.argv[2] ?? 'all'
if (which !== 'all' && !BENCHES.includes(which)) {
  refuse(`unknown bench "${which}"; expected one of ${BENCHES.join(', ')} (none: all of them)`)
}
let ingress: IngressSelection | undefined
if (which === 'ingress' || which === 'all') {
  try {
    ingress = ingressSelection(process.env)
  } catch (error) {
    refuse((error as Error).message)
  }
}

if (which === 'core' || which === 'all') runCoreBench()
if (which === 'service' || which === 'all') await runServiceBench()
if (which === 'engine' || which === 'all') await runEngineBench()
if (ingress) await runIngressBench(ingress)
