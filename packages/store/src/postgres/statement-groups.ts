export interface StatementGroupOptions<I> {
  /** The most calls one statement takes. */
  maxGroup: number
  /** The most group statements running at once; calls made meanwhile wait and go together. */
  maxInFlight: number
  /** A key that may appear once per group (a call whose key is in the group waits for the next one). */
  keyOf?: (input: I) => string | null
}

interface Call<I, O> {
  input: I
  resolve: (output: O) => void
  reject: (error: unknown) => void
}

/**
 * Runs concurrent calls as groups, one statement per group: a call made while fewer than `maxInFlight`
 * groups are running goes out at the end of this turn of the event loop (`setImmediate`, no timer),
 * together with the calls made in the same turn; calls made while the limit is reached go together as
 * soon as a group finishes. A lone call waits for nothing; under load, calls share round trips (and, for
 * writes, commits) instead of queueing for pool connections. `runGroup` answers one output per input, in
 * order; `runOne` runs a group of one (and each call again alone when a group fails with an error that
 * `retryAlone` accepts, so a bad call fails alone).
 */
export function statementGroups<I, O>(
  runGroup: (inputs: I[]) => Promise<O[]>,
  runOne: (input: I) => Promise<O>,
  retryAlone: (error: unknown) => boolean,
  options: StatementGroupOptions<I>,
): (input: I) => Promise<O> {
  let waiting: Array<Call<I, O>> = []
  let inFlight = 0
  let scheduled = false

  function schedule(): void {
    if (scheduled || inFlight >= options.maxInFlight || waiting.length === 0) return
    scheduled = true
    setImmediate(flush)
  }

  function flush(): void {
    scheduled = false
    const keys = new Set<string>()
    const group: Array<Call<I, O>> = []
    const later: Array<Call<I, O>> = []
    for (const call of waiting) {
      const key = options.keyOf?.(call.input) ?? null
      if (group.length >= options.maxGroup || (key !== null && keys.has(key))) later.push(call)
      else {
        if (key !== null) keys.add(key)
        group.push(call)
      }
    }
    waiting = later
    inFlight++
    run(group).finally(() => {
      inFlight--
      schedule()
    })
    schedule()
  }

  async function run(group: Array<Call<I, O>>): Promise<void> {
    if (group.length === 1) {
      const [only] = group as [Call<I, O>]
      await runOne(only.input).then(only.resolve, only.reject)
      return
    }
    let outputs: O[]
    try {
      outputs = await runGroup(group.map((call) => call.input))
    } catch (error) {
      if (!retryAlone(error)) {
        for (const call of group) call.reject(error)
        return
      }
      await Promise.all(group.map((call) => runOne(call.input).then(call.resolve, call.reject)))
      return
    }
    group.forEach((call, i) => {
      call.resolve(outputs[i] as O)
    })
  }

  return (input) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ input, resolve, reject })
      schedule()
    })
}
