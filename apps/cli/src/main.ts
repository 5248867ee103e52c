/** `pnpm cli …`: runs the scheduler command line and exits with its code. */
import { run } from './program.js'

process.exitCode = await run(process.argv)
