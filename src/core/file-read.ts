/**
 * A Blob backed by a file on disk (a picked `File`, Node's `fs.openAsBlob`) is a snapshot: once the
 * file changes (size or modification time), every read of it fails with a DOMException
 * `NotReadableError`. That surfaces in three shapes — the DOMException itself, its name as text from
 * a hash worker ("Hashing failed: NotReadableError: …"), and a failed request whose body was such a
 * slice (Node: `fetch failed` caused by NotReadableError; Chromium: a bare "Failed to fetch",
 * net::ERR_UPLOAD_FILE_CHANGED) — and this turns all of them into one typed error.
 */
import { HashingError, OssError, OssNetworkError, ResumeMismatchError } from '../errors.js';
import type { Hasher, PartDigest } from '../hashing/hasher.js';
import { fileIdentity, fingerprintFile } from '../persistence/fingerprint.js';

/** Whether `error` (or one of its causes) is a NotReadableError, by name or as worker text. */
function isNotReadable(error: unknown, depth = 0): boolean {
  if (depth > 8 || typeof error !== 'object' || error === null) return false;
  const { name, message, cause } = error as { name?: unknown; message?: unknown; cause?: unknown };
  if (name === 'NotReadableError') return true;
  if (typeof message === 'string' && message.includes('NotReadableError')) return true;
  return isNotReadable(cause, depth + 1);
}

/**
 * What to throw for `error`, raised while reading or sending `file`: a {@link ResumeMismatchError}
 * when the file can no longer be read as it was when the upload started, else `error` itself.
 * Errors that may hide a failed read (network and hashing errors, plain Errors) are checked by reading one byte.
 */
export async function explainReadFailure(error: unknown, file: Blob, signal: AbortSignal | undefined): Promise<unknown> {
  // A network or hashing failure may be a failed read in disguise (a worker reports only its text).
  if (signal?.aborted || (error instanceof OssError && !(error instanceof OssNetworkError) && !(error instanceof HashingError))) return error;
  let unreadable = isNotReadable(error);
  if (!unreadable && file.size > 0) {
    try {
      await file.slice(0, 1).arrayBuffer();
    } catch {
      unreadable = true;
    }
  }
  if (!unreadable) return error;
  return fileChanged(error);
}

/** The error for a file that changed while it was being uploaded; `cause` is what showed it. */
export function fileChanged(cause: unknown): ResumeMismatchError {
  return new ResumeMismatchError(
    'The file changed while it was being uploaded (it can no longer be read as it was when the upload started); ' +
      'the object was not written: select the file again and upload it anew',
    { cause },
  );
}

type Target = { readonly bucket: string; readonly key: string };

/** Whether `file`'s fingerprint (persistence/fingerprint.ts) is no longer `expected`. */
async function fingerprintMoved(file: Blob, expected: string, target: Target, hasher: Hasher, signal: AbortSignal | undefined): Promise<boolean> {
  return (await fingerprintFile(file, target, hasher, signal)).fingerprint !== expected;
}

/**
 * Throws {@link ResumeMismatchError} unless `file` still has the fingerprint it had when the upload
 * started. Firefox does not hold a picked File to its snapshot: after the file changes on disk its
 * reads return the new bytes (even past a shorter end) instead of failing, so nothing above ever
 * sees an error. Re-sampling the fingerprint's three 64 KiB windows before Complete catches a
 * rewritten file there, and the object is never completed from a mix of old and new bytes.
 */
export async function checkUnchanged(file: Blob, expected: string, target: Target, hasher: Hasher, signal: AbortSignal | undefined): Promise<void> {
  if (await fingerprintMoved(file, expected, target, hasher, signal)) {
    throw fileChanged(new Error('the sampled bytes of the file differ from those at the start of the upload'));
  }
}

/**
 * What to throw when sending the parts failed with `error`: a {@link ResumeMismatchError} caused by
 * `error` when the file's fingerprint moved since the upload started, else `error`. In Firefox a
 * request whose body it read while the file was being rewritten (empty for a moment) sends no byte
 * and hangs until the server gives up (400 RequestTimeout after 30 s): that answer, not the change,
 * would otherwise reach the app. The check samples 192 KiB and runs only after a failure.
 */
export async function explainSendFailure(
  error: unknown, file: Blob, expected: string, target: Target, hasher: Hasher, signal: AbortSignal | undefined,
): Promise<unknown> {
  if (signal?.aborted || error instanceof ResumeMismatchError) return error;
  // A file that cannot be sampled at all is explained by readingFile (one byte read) above.
  const moved = await fingerprintMoved(file, expected, target, hasher, signal).catch(() => false);
  return moved ? fileChanged(error) : error;
}

/**
 * Re-hashes `blob` after the server answered InvalidDigest (`cause`) to a body hashed into `sent`:
 * the new digest when the bytes read now are the hashed ones (they were damaged on the way: send
 * again), a {@link ResumeMismatchError} when they differ. The same bytes read twice gave two
 * different contents: the file changed on disk (Firefox reads its new bytes instead of failing), and
 * sending the rest of it would only lead to an upload that can never be completed.
 */
export async function rehashUnchanged(
  hasher: Hasher, blob: Blob, what: { readonly md5: boolean; readonly crc64: boolean }, sent: PartDigest, cause: unknown, signal: AbortSignal | undefined,
): Promise<PartDigest> {
  // InvalidDigest answers a Content-MD5 we sent, so `sent` has an MD5 (a verified part has one even
  // without the contentMd5 option) and the new digest needs one to compare.
  const again = await hasher.hash(blob, { ...what, md5: true }, signal);
  if (again.md5Hex !== sent.md5Hex) throw fileChanged(cause);
  return again;
}

/** Runs `work`, turning a failure to read `file` into a {@link ResumeMismatchError}. */
export async function readingFile<T>(file: Blob, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw await explainReadFailure(error, file, signal);
  }
}

/** A running {@link watchFile}: `signal` aborts with a {@link ResumeMismatchError} once the file changed. */
export type FileWatch = { readonly signal: AbortSignal; stop(): void };

/**
 * Polls `file.lastModified` every `intervalMs` while the parts are sent, and aborts `signal` with a
 * {@link ResumeMismatchError} once it moved. WebKit reads a picked File's modification time from disk
 * on every access (other engines keep the value of the pick, so this never fires there), and once
 * it moved WebKit fails reads of the file but lets a request whose body is a slice of it hang: only
 * the stall timeout or the server's RequestTimeout would end it, after 30 s, as a network error.
 * Reading the property reads no bytes of the file, on the main thread or anywhere.
 */
export function watchFile(file: Blob, intervalMs = 1000): FileWatch {
  const controller = new AbortController();
  const initial = fileIdentity(file).lastModified;
  const timer = setInterval(() => {
    if (fileIdentity(file).lastModified === initial) return;
    clearInterval(timer);
    controller.abort(fileChanged(new Error('its modification time moved')));
  }, intervalMs);
  return { signal: controller.signal, stop: () => clearInterval(timer) };
}
