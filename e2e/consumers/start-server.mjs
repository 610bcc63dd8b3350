// Runs in a consumer project with plain Node (no tsx): imports the local OSS server the way a user's
// test setup would, by its package name, starts it on a free port and prints one JSON line with the
// port and 1-hour STS credentials. Stops when its standard input closes (the spec ends it that way).
//
//   node start-server.mjs <dataDir>
import { createOssServer } from 'oss-resumable/server';

const server = await createOssServer({ port: 0, dataDir: process.argv[2], fsync: false, corsOrigins: ['*'] });
const sts = server.sts.mint({ durationSeconds: 3600, roleArn: 'acs:ram::1234567890123456:role/consumer', sessionName: 'consumer' });
const { AccessKeyId, AccessKeySecret, SecurityToken, Expiration } = sts;
const ready = { port: server.port, accessKeyId: server.accessKeyId, accessKeySecret: server.accessKeySecret };
console.log(JSON.stringify({ ...ready, sts: { AccessKeyId, AccessKeySecret, SecurityToken, Expiration } }));

process.stdin.resume();
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
