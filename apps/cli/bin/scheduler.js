#!/usr/bin/env node
// The `scheduler` command: registers tsx (the workspace runs TypeScript directly), then runs the CLI.
import { register } from 'tsx/esm/api'

register()
const { run } = await import('../src/program.ts')
process.exitCode = await run(process.argv)
