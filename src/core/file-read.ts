/**
 * A Blob backed by a file on disk (a picked `File`, Node's `fs.openAsBlob`) is a snapshot: once the
 * file changes (size or modification time), every read of it fails with a DOMException
 * `NotReadableError`. That surfaces in three shapes — the DOMException itself, its name as text from
 * a hash worker ("Hashing failed: NotReadableError: …"), and a failed request whose body was such a
 * slice (Node: `fetch failed` caused by NotReadableError; Chromium: a bare "Failed to fetch",
 * net::ERR_UPLOAD_FILE_CHANGED) — and this turns all of them into one typed error.
 */
import { OssError, OssNetworkError, ResumeMismatchError } from '../errors.js';

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
 * Errors that may hide a failed read (network errors, plain Errors) are checked by reading one byte.
 */
export async function explainReadFailure(error: unknown, file: Blob, signal: AbortSignal | undefined): Promise<unknown> {
  if (signal?.aborted || (error instanceof OssError && !(error instanceof OssNetworkError))) return error;
  let unreadable = isNotReadable(error);
  if (!unreadable && file.size > 0) {
    try {
      await file.slice(0, 1).arrayBuffer();
    } catch {
      unreadable = true;
    }
  }
  if (!unreadable) return error;
  return new ResumeMismatchError(
    'The file changed while it was being uploaded (it can no longer be read as it was when the upload started); ' +
      'the object was not written: select the file again and upload it anew',
    { cause: error },
  );
}

/** Runs `work`, turning a failure to read `file` into a {@link ResumeMismatchError}. */
export async function readingFile<T>(file: Blob, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw await explainReadFailure(error, file, signal);
  }
}
