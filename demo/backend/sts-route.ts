/**
 * The demo's backend: `POST /api/sts` mints temporary credentials exactly as a production backend
 * does — STS AssumeRole through `@alicloud/pop-core` with a session policy that only allows
 * uploading under one prefix — and `GET /api/config` tells the page where to upload. Pointed at
 * real STS and OSS by environment variables, the same code serves a real app (README, "Using real OSS").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { RPCClient } = require('@alicloud/pop-core') as {
  RPCClient: new (options: Record<string, unknown>) => { request(action: string, params: Record<string, unknown>, options?: Record<string, unknown>): Promise<Record<string, any>> };
};

/** Where the demo uploads and how it gets credentials. */
export type DemoBackendConfig = {
  /** STS endpoint, e.g. `https://sts.aliyuncs.com` (the local server answers AssumeRole too). */
  readonly stsEndpoint: string;
  /** A RAM user's keys that may call AssumeRole; they never leave the backend. */
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly roleArn: string;
  /** OSS endpoint, bucket, region and key prefix the page uploads to. */
  readonly ossEndpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly pathStyle: boolean;
  readonly prefix: string;
  /** Lifetime of minted credentials. @default 900 (15 minutes, the STS minimum) */
  readonly durationSeconds: number;
};

/** Reads the configuration from the environment, defaulting to the local server of `npm start`. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env, localPort = 9000): DemoBackendConfig {
  const local = `http://localhost:${localPort}`;
  return {
    stsEndpoint: env['STS_ENDPOINT'] ?? local,
    accessKeyId: env['STS_ACCESS_KEY_ID'] ?? 'oss-local-ak',
    accessKeySecret: env['STS_ACCESS_KEY_SECRET'] ?? 'oss-local-sk',
    roleArn: env['STS_ROLE_ARN'] ?? 'acs:ram::1234567890123456:role/oss-resumable-demo',
    ossEndpoint: env['OSS_ENDPOINT'] ?? local,
    bucket: env['OSS_BUCKET'] ?? 'demo',
    region: env['OSS_REGION'] ?? 'cn-hangzhou',
    pathStyle: (env['OSS_PATH_STYLE'] ?? (env['OSS_ENDPOINT'] ? 'false' : 'true')) === 'true',
    prefix: env['OSS_PREFIX'] ?? 'uploads/',
    durationSeconds: Number(env['STS_DURATION_SECONDS'] ?? 900),
  };
}

/**
 * The session policy: upload, resume (ListParts), abort and read back objects under the prefix;
 * list in-progress uploads of the bucket. Nothing else — not even DeleteObject.
 */
export function uploadPolicy(config: Pick<DemoBackendConfig, 'bucket' | 'prefix'>): object {
  return {
    Version: '1',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['oss:PutObject', 'oss:GetObject', 'oss:ListParts', 'oss:AbortMultipartUpload'],
        Resource: [`acs:oss:*:*:${config.bucket}/${config.prefix}*`],
      },
      { Effect: 'Allow', Action: ['oss:ListMultipartUploads'], Resource: [`acs:oss:*:*:${config.bucket}`] },
    ],
  };
}

/** Calls AssumeRole and returns the credentials in the shape the SDK accepts. */
export async function mintCredentials(config: DemoBackendConfig, sessionName = 'oss-resumable-demo') {
  const sts = new RPCClient({ endpoint: config.stsEndpoint, apiVersion: '2015-04-01', accessKeyId: config.accessKeyId, accessKeySecret: config.accessKeySecret });
  const answer = await sts.request('AssumeRole', {
    RoleArn: config.roleArn, RoleSessionName: sessionName, DurationSeconds: config.durationSeconds, Policy: JSON.stringify(uploadPolicy(config)),
  }, { method: 'POST' });
  const c = answer['Credentials'];
  return { accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, securityToken: c.SecurityToken, expiration: c.Expiration };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(value));
}

/** Connect-style middleware for `/api/sts` and `/api/config`. */
export function demoBackend(config: DemoBackendConfig) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/api/config' && req.method === 'GET') {
      return sendJson(res, 200, { endpoint: config.ossEndpoint, bucket: config.bucket, region: config.region, pathStyle: config.pathStyle, prefix: config.prefix });
    }
    if (path === '/api/sts') {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'Use POST' });
      // A real app authenticates its user here before minting credentials for them.
      mintCredentials(config).then(
        (credentials) => sendJson(res, 200, credentials),
        (error: Error & { code?: string }) => sendJson(res, 502, { error: error.message, code: error.code }),
      );
      return;
    }
    next();
  };
}
