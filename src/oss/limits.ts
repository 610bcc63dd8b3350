/**
 * OSS limits the SDK checks against before sending anything: object keys (docs/protocol.md §1.1),
 * parts (§2.8) and object tags (`x-oss-tagging`, §1.4). Facts of the service, so they live with the
 * transport; the options checks (src/options.ts) and the slicer (src/core/plan.ts) both use them.
 */

/** Longest object key, in UTF-8 bytes. */
export const maxKeyBytes = 1023;
/** Smallest part OSS accepts for any part but the last. */
export const minPartSizeBytes = 100 * 1024;
/** Largest part OSS accepts. */
export const maxPartSizeBytes = 5 * 1024 ** 3;
/** Most parts one upload may have. */
export const maxPartCount = 10_000;
/** Most tags an object may have. */
export const maxTagCount = 10;
/** Longest tag key, in characters. */
export const maxTagKeyChars = 128;
/** Longest tag value, in characters. */
export const maxTagValueChars = 256;
