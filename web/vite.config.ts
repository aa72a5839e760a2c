import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.CSME_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    port: 5173,
    proxy: { '/api': api, '/healthz': api, '/readyz': api, '/metrics': api, '/webhooks': api },
  },
});
