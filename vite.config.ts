import { defineConfig } from 'vite';

// The demo page is the only thing vite serves or builds; the SDK itself is built with plain tsc (house style 41).
export default defineConfig({
  root: 'demo',
  server: {
    host: '127.0.0.1',
  },
  build: {
    outDir: '../dist-demo',
    emptyOutDir: true,
  },
});
