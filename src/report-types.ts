/**
 * What an upload reports to the app's callbacks (`onProgress`, `onPartUpdate`, `onPartComplete`,
 * `onResume`); re-exported by src/types.ts with the options they belong to.
 */

/** What `onResume` reports when a journalled upload of the same file was found. */
export type ResumeInfo =
  | { readonly resumed: true; readonly uploadId: string; readonly skippedParts: number; readonly skippedBytes: number }
  | {
    readonly resumed: false;
    /** `NoSuchUpload`: the server no longer has it (aborted, expired); `mismatch`: part size or target changed. */
    readonly reason: 'NoSuchUpload' | 'mismatch';
    readonly uploadId: string;
  };

/** Phase of an upload, as reported to `onProgress`. */
export type UploadPhase = 'hashing' | 'uploading' | 'completing' | 'done';

/** Progress of one upload; it never moves backwards. */
export type UploadProgress = {
  readonly phase: UploadPhase;
  /**
   * Bytes on the server plus bytes of parts in flight (browsers report every chunk sent; Node only
   * whole parts). A part counts the most bytes any of its attempts has sent, so a retry that starts
   * the part again from zero holds the figure until it passes that point: it never moves backwards.
   */
  readonly transferredBytes: number;
  readonly totalBytes: number;
  /** 0–100. */
  readonly percent: number;
  /** Parts on the server. */
  readonly completedParts: number;
  readonly totalParts: number;
  /** Throughput: the moving average of `transferredBytes` over the last 20 s; 0 until measurable. */
  readonly bytesPerSecond: number;
  /** Seconds left at `bytesPerSecond`, in tenths; undefined until measurable. */
  readonly etaSeconds: number | undefined;
};

/** Where one part stands. */
export type PartState = 'waiting' | 'hashing' | 'sending' | 'done';

/** One part of an upload, as `onPartUpdate` reports it (what a part map draws). */
export type PartUpdate = {
  readonly partNumber: number;
  readonly size: number;
  readonly state: PartState;
  /** Bytes of the part counted in progress: its size once done, else the most any attempt has sent. */
  readonly sentBytes: number;
  /** Attempts to send it in this session; more than 1 means it was retried. */
  readonly attempts: number;
  /** The server already had it when the upload resumed (it was not sent in this session). */
  readonly resumed: boolean;
};

/** A part the server acknowledged. */
export type CompletedPart = { readonly partNumber: number; readonly etag: string; readonly size: number };
