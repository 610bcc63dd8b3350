/**
 * `npm run server`: starts the local OSS server from command-line flags and prints how to reach it.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseCorsFile } from './cors-config.js';
import type { CorsConfiguration } from './cors.js';
import { createOssServer } from './server.js';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '9000' },
    data: { type: 'string', default: '.oss-data' },
    bucket: { type: 'string', multiple: true },
    'access-key-id': { type: 'string', default: 'oss-local-ak' },
    'access-key-secret': { type: 'string', default: 'oss-local-sk' },
    'cors-origin': { type: 'string', multiple: true },
    'cors-rules': { type: 'string' },
    region: { type: 'string', default: 'cn-hangzhou' },
    faults: { type: 'boolean', default: false },
    'no-fsync': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`Usage: npm run server -- [--host 127.0.0.1] [--port 9000] [--data .oss-data] [--bucket demo]...
  [--access-key-id oss-local-ak] [--access-key-secret oss-local-sk] [--cors-origin '*']... [--cors-rules rules.xml|rules.json]
  [--region cn-hangzhou] [--faults] [--no-fsync]`);
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer within 0..65535, got ${values.port}`);
  process.exit(2);
}

// The PutBucketCors XML or ossutil's JSON form; checked exactly as PutBucketCors checks a body.
let corsRules: CorsConfiguration | undefined;
if (values['cors-rules'] !== undefined) {
  try {
    corsRules = parseCorsFile(readFileSync(values['cors-rules'], 'utf8'));
  } catch (error) {
    console.error(`--cors-rules ${values['cors-rules']}: ${(error as Error).message}`);
    process.exit(2);
  }
}

const server = await createOssServer({
  host: values.host, port, dataDir: values.data, buckets: values.bucket ?? ['demo'],
  accessKeyId: values['access-key-id'], accessKeySecret: values['access-key-secret'],
  ...(values['cors-origin'] ? { corsOrigins: values['cors-origin'] } : {}),
  ...(corsRules ? { corsRules: corsRules.rules, corsResponseVary: corsRules.responseVary } : {}),
  region: values.region, faults: values.faults, fsync: !values['no-fsync'],
});

const buckets = values.bucket ?? ['demo'];
function corsBanner(): string {
  if (values['cors-rules'] !== undefined) return `${values['cors-rules']}`;
  const rule = `the README's recommended rule for ${(values['cors-origin'] ?? ['*']).join(', ')}`;
  return values['cors-origin'] ? rule : `as stored in the data dir; new buckets get ${rule}`;
}
console.log(`Local OSS server listening on ${server.url}
  data dir:          ${server.dataDir}
  buckets:           ${buckets.join(', ')}
  path style:        http://localhost:${server.port}/${buckets[0]}/<key>
  virtual-hosted:    http://${buckets[0]}.localhost:${server.port}/<key>
  region (V4):       ${values.region}
  bucket CORS:       ${corsBanner()} (PUT/GET/DELETE /?cors to change)
  AccessKeyId:       ${server.accessKeyId}
  AccessKeySecret:   ${server.accessKeySecret}
  STS AssumeRole:    POST ${server.url}/ (Action=AssumeRole, any RoleArn)
  fault injection:   ${values.faults ? `${server.url}/_local/faults` : 'off (--faults to enable)'}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
