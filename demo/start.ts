/**
 * `npm start`: the local OSS server (data in `.oss-data`, CORS for the demo's origin) plus the vite
 * dev server of the demo page, with the STS backend route mounted. Ctrl-C stops both.
 */
import { createServer } from 'vite';
import { createOssServer } from '../server/src/server.js';

const ossPort = Number(process.env['OSS_LOCAL_PORT'] ?? 9000);
const demoPort = Number(process.env['DEMO_PORT'] ?? 5173);
const demoOrigins = [`http://localhost:${demoPort}`, `http://127.0.0.1:${demoPort}`];

const oss = await createOssServer({ port: ossPort, dataDir: '.oss-data', buckets: ['demo'], corsOrigins: demoOrigins });
const vite = await createServer({ configFile: new URL('../vite.config.ts', import.meta.url).pathname, server: { port: demoPort } });
await vite.listen();

console.log(`
  oss-resumable demo:  http://localhost:${demoPort}/
  local OSS server:    ${oss.url}  (data in ${oss.dataDir}; keys oss-local-ak / oss-local-sk)
  STS backend route:   POST http://localhost:${demoPort}/api/sts

  Press Ctrl-C to stop both.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void Promise.allSettled([vite.close(), oss.close()]).then(() => process.exit(0));
  });
}
