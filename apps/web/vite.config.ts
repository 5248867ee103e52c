import { defineConfig } from 'vite'

// Served by the API under /calendar/ (see apps/api/src/plugins/app/calendar-page.ts).
export default defineConfig({
  base: '/calendar/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1000 },
})
