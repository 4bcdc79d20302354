// The catalog's build: a static bundle in web/dist, served by the API server at /. Everything is
// bundled (no CDN, system fonts), so the catalog works with no internet.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
    rollupOptions: {
      // zod (bundled for the recipe schema the spawn form is built from) has comments Rollup
      // cannot place; they are dropped, which changes nothing in the output.
      onwarn(warning, warn) {
        if (warning.code === 'INVALID_ANNOTATION') return;
        warn(warning);
      },
    },
  },
  server: { proxy: { '/graphql': 'http://127.0.0.1:4000', '/models': 'http://127.0.0.1:4000' } },
});
