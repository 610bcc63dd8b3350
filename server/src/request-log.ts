/**
 * A log of every OSS request the server answered (with `--faults`), exposed at `GET /_local/log`
 * so tests can prove which parts were sent and how often. It is appended to `<data>/requests.log`
 * and reloaded at start-up, so it spans SIGKILL restarts.
 */
import { appendFileSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';

/** One answered request. */
export type RequestLogEntry = {
  readonly time: string;
  readonly requestId: string;
  readonly method: string;
  readonly op: string;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  readonly uploadId: string | undefined;
  readonly partNumber: number | undefined;
  readonly status: number;
  readonly code: string | undefined;
  readonly bytesIn: number;
  readonly fault: string | undefined;
  /** Milliseconds from the request's arrival to its answer (or to the client going away: status 0). */
  readonly ms: number;
  /**
   * CompleteMultipartUpload only: the part numbers its XML body listed, in body order and with any
   * duplicates kept, so a test can prove the request named each part once. Absent for other
   * operations, for `x-oss-complete-all` (no body) and for a body that did not parse.
   */
  readonly completeParts?: readonly number[];
};

/** What a handler adds to its request's log entry (see {@link RequestLogEntry}). */
export type RequestLogNote = Pick<RequestLogEntry, 'completeParts'>;

/** Append-only request log. */
export class RequestLog {
  readonly #file: string;
  #entries: RequestLogEntry[];
  #active = 0;
  #idle: Array<() => void> = [];

  constructor(dataDir: string) {
    this.#file = join(dataDir, 'requests.log');
    let text = '';
    try {
      text = readFileSync(this.#file, 'utf8');
    } catch {
      // first start
    }
    // Cut a torn last line (crash mid-append) so the next entry starts on a line of its own.
    if (text !== '' && !text.endsWith('\n')) {
      text = text.slice(0, text.lastIndexOf('\n') + 1);
      truncateSync(this.#file, Buffer.byteLength(text));
    }
    this.#entries = text.split('\n').flatMap((line) => {
      try {
        return [JSON.parse(line) as RequestLogEntry];
      } catch {
        return [];
      }
    });
  }

  /** Records an entry (synchronously, so a SIGKILL right after the answer cannot lose it). */
  add(entry: RequestLogEntry): void {
    this.#entries.push(entry);
    appendFileSync(this.#file, `${JSON.stringify(entry)}\n`);
  }

  /** Marks a request as being handled (its entry is added when it ends). */
  begin(): void {
    this.#active++;
  }

  /** Marks a request as handled. */
  end(): void {
    this.#active--;
    if (this.#active === 0) for (const wake of this.#idle.splice(0)) wake();
  }

  /**
   * Waits until no request is being handled, at most `maxMs`: a GET is logged only after its body
   * was streamed, so a client that just received it could otherwise read the log first.
   */
  async settled(maxMs = 500): Promise<void> {
    if (this.#active === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, maxMs);
      this.#idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Entries, optionally from index `since` on. */
  entries(since = 0): readonly RequestLogEntry[] {
    return this.#entries.slice(since);
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries = [];
    appendFileSync(this.#file, '', { flag: 'w' });
  }
}
