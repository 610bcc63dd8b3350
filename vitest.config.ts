import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['server/test/**/*.test.ts', 'test/**/*.test.ts'],
    // e2e/ belongs to Playwright, which runs it in Debian Chromium.
    exclude: ['**/node_modules/**', 'e2e/**'],
    testTimeout: 30_000,
    // Child processes rather than worker threads: the server tests spawn and SIGKILL servers.
    pool: 'forks',
  },
});
