/**
 * How the demo puts numbers and failures into words: sizes, speeds, durations, ages, and errors
 * with their OSS code and request id (as text, and as nodes for the page).
 */
import { OssIntegrityError, OssNetworkError, OssServiceError, ResumeMismatchError, UploadLockedError } from '../src/index.js';
import { el } from './dom.js';

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `1536` → `"1.5 KiB"`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** Bytes per second as `"1.2 MiB/s"`, or a dash until measurable. */
export function formatSpeed(bytesPerSecond: number): string {
  return bytesPerSecond > 0 ? `${formatBytes(bytesPerSecond)}/s` : '–';
}

/** Seconds left as `"42 s"`, `"3 min 5 s"` or `"1 h 2 min"`; a dash when unknown. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Milliseconds since something happened, as `"just now"`, `"5 min ago"`, `"2 days ago"`. */
export function formatAge(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

/** A failure in words, with the OSS error code and request id when the server sent them. */
export type ErrorText = { readonly message: string; readonly code?: string; readonly requestId?: string };

const hints: Readonly<Record<string, string>> = {
  AccessDenied: 'the temporary credentials do not allow this (STS policy)',
  NoSuchUpload: 'the server no longer has this multipart upload (aborted or expired)',
  InvalidAccessKeyId: 'the access key is unknown to the server',
  SecurityTokenExpired: 'the STS token expired',
  RequestTimeTooSkewed: "this computer's clock is too far off the server's",
  SignatureDoesNotMatch: 'the request signature was rejected',
  InvalidDigest: 'a part arrived corrupted (Content-MD5 mismatch)',
  FileAlreadyExists: 'an object with this name exists already',
};

/** Puts any error the SDK (or the page) throws into words. */
export function describeError(error: unknown): ErrorText {
  if (error instanceof OssServiceError) {
    const hint = hints[error.code];
    const part = error.partNumber === undefined ? '' : ` (part ${error.partNumber})`;
    return {
      message: `${error.operation}${part} was refused with HTTP ${error.status}${hint ? `: ${hint}` : ''}.`,
      code: error.code,
      ...(error.requestId ? { requestId: error.requestId } : {}),
    };
  }
  if (error instanceof UploadLockedError) return { message: 'This file is already uploading to the same key in another tab or row.' };
  if (error instanceof OssNetworkError) {
    return { message: error.timedOut ? `The server did not answer in time: ${error.message}.` : `Network failure: ${error.message}. Check your connection and press Resume.` };
  }
  if (error instanceof ResumeMismatchError) return { message: `Cannot resume: ${error.message}.` };
  if (error instanceof OssIntegrityError) return { message: `Integrity check failed: ${error.message}.` };
  if (error instanceof Error) return { message: error.message };
  return { message: String(error) };
}

/** An error's words as nodes: the message, then the OSS code and request id as tags. */
export function errorContent(text: ErrorText): Array<Node | string> {
  const parts: Array<Node | string> = [text.message];
  if (text.code) parts.push(' ', el('span', { class: 'tag' }, 'Code ', el('code', {}, text.code)));
  if (text.requestId) parts.push(' ', el('span', { class: 'tag' }, 'Request ID ', el('code', {}, text.requestId)));
  return parts;
}
