import { fileURLToPath } from 'node:url'

/** Where `vite build` writes the calendar page (built on install; `pnpm --filter @scheduler/web build`). */
export const calendarPageDir = fileURLToPath(new URL('./dist/', import.meta.url))
