/**
 * The page's uploader: built from the backend's `/api/config` and the current settings, with STS
 * credentials from `POST /api/sts`. Changing the settings builds a new uploader for new uploads;
 * the old one finishes what it runs and then stops its hashing workers.
 */
import { crc64, createUploader, signerV1, signerV4, type CredentialsInput, type Uploader } from '../src/index.js';
import type { DemoSettings } from './settings.js';

/** Where the page uploads, as `GET /api/config` tells it. */
export type DemoConfig = {
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly pathStyle: boolean;
  readonly prefix: string;
};

/** Fetches JSON, turning an HTTP error into an Error that says which call failed. */
async function fetchJson(url: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(url, init);
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const detail = typeof body === 'object' && body !== null && 'error' in body ? `: ${String(body.error)}` : '';
    throw new Error(`${init.method ?? 'GET'} ${url} answered HTTP ${response.status}${detail}`);
  }
  return body;
}

/** Reads the upload target from the demo's backend. */
export async function fetchConfig(): Promise<DemoConfig> {
  return (await fetchJson('/api/config')) as DemoConfig;
}

/** The page's handle on its current uploader. */
export type UploaderHost = {
  readonly config: DemoConfig;
  /** The uploader new work should use. */
  current(): Uploader;
  /** Builds a new uploader with `settings` for everything started from now on. */
  apply(settings: DemoSettings): void;
  /** Runs `task` with the current uploader, keeping that uploader alive until the task settles. */
  run<T>(task: (uploader: Uploader) => Promise<T>): Promise<T>;
};

/** Creates the host with an uploader for `settings`. */
export function createUploaderHost(config: DemoConfig, settings: DemoSettings): UploaderHost {
  const build = (s: DemoSettings) => createUploader({
    endpoint: config.endpoint, bucket: config.bucket, region: config.region, pathStyle: config.pathStyle,
    // The backend mints STS credentials limited to the upload prefix; the SDK asks again before they expire.
    credentials: async ({ signal }) => (await fetchJson('/api/sts', { method: 'POST', signal: signal ?? null })) as CredentialsInput,
    signer: s.signatureVersion === 'v1' ? signerV1 : signerV4, partSize: s.partSize, concurrency: s.concurrency, contentMd5: s.contentMd5, crc64: s.crc64 && crc64,
  });
  let uploader = build(settings);
  const running = new Map<Uploader, number>();
  const retireIfIdle = (u: Uploader) => {
    if (u !== uploader && !running.get(u)) u.dispose();
  };

  return {
    config,
    current: () => uploader,
    apply(next) {
      const previous = uploader;
      uploader = build(next);
      retireIfIdle(previous);
    },
    async run(task) {
      const u = uploader;
      running.set(u, (running.get(u) ?? 0) + 1);
      try {
        return await task(u);
      } finally {
        const left = (running.get(u) ?? 1) - 1;
        if (left > 0) running.set(u, left);
        else running.delete(u);
        retireIfIdle(u);
      }
    },
  };
}
