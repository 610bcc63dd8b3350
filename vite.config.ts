import { defineConfig, type Plugin } from 'vite';
import { configFromEnv, demoBackend } from './demo/backend/sts-route.js';

/** Mounts the demo's backend routes (`/api/sts`, `/api/config`) on vite's dev and preview servers. */
function demoBackendPlugin(): Plugin {
  const backend = demoBackend(configFromEnv(process.env, Number(process.env['OSS_LOCAL_PORT'] ?? 9000)));
  return {
    name: 'oss-resumable-demo-backend',
    configureServer: (server) => void server.middlewares.use(backend),
    configurePreviewServer: (server) => void server.middlewares.use(backend),
  };
}

// The demo page is the only thing vite serves or builds; the SDK itself is built with plain tsc (tsconfig.build.json).
export default defineConfig({
  root: 'demo',
  plugins: [demoBackendPlugin()],
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173 },
  build: { outDir: '../dist-demo', emptyOutDir: true },
});
