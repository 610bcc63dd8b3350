/**
 * Upload settings of the demo: part size, concurrency, Content-MD5, CRC-64 and the signature
 * version, kept in localStorage and applied to new uploads (the page recreates its uploader).
 */
import { uploaderDefaults } from '../src/index.js';
import { formatBytes } from './format.js';

/** What the settings form controls. */
export type DemoSettings = {
  readonly partSize: number | 'auto';
  readonly concurrency: number;
  readonly contentMd5: boolean;
  readonly crc64: boolean;
  readonly signatureVersion: 'v4' | 'v1';
};

const KiB = 1024;
const MiB = 1024 * KiB;
const storageKey = 'oss-resumable-demo:settings';

/** Part sizes offered: the SDK's automatic choice, or a fixed size (100 KiB is the smallest part OSS accepts). */
export const partSizeChoices: ReadonlyArray<number | 'auto'> = ['auto', 100 * KiB, 256 * KiB, 1 * MiB, 5 * MiB, 8 * MiB, 16 * MiB, 64 * MiB];

const partSizeOf = (value: unknown): number | 'auto' | undefined => partSizeChoices.find((choice) => String(choice) === String(value));

/** The SDK's own defaults, with V4 signatures. */
export const defaultSettings: DemoSettings = {
  partSize: uploaderDefaults.partSize,
  concurrency: uploaderDefaults.concurrency,
  contentMd5: uploaderDefaults.contentMd5,
  crc64: uploaderDefaults.crc64,
  signatureVersion: 'v4',
};

/** Keeps what is valid of a stored value, defaults for the rest. */
function sanitize(value: unknown): DemoSettings {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Partial<Record<keyof DemoSettings, unknown>>;
  const concurrency = Number(v.concurrency);
  return {
    partSize: partSizeOf(v.partSize) ?? defaultSettings.partSize,
    concurrency: Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 16 ? concurrency : defaultSettings.concurrency,
    contentMd5: typeof v.contentMd5 === 'boolean' ? v.contentMd5 : defaultSettings.contentMd5,
    crc64: typeof v.crc64 === 'boolean' ? v.crc64 : defaultSettings.crc64,
    signatureVersion: v.signatureVersion === 'v1' ? 'v1' : 'v4',
  };
}

/** The stored settings (defaults when none, or when storage is unavailable). */
export function loadSettings(): DemoSettings {
  try {
    return sanitize(JSON.parse(localStorage.getItem(storageKey) ?? '{}'));
  } catch {
    return defaultSettings;
  }
}

/** Stores `settings` (silently skipped when storage is unavailable, e.g. in private mode). */
export function saveSettings(settings: DemoSettings): void {
  try {
    localStorage.setItem(storageKey, JSON.stringify(settings));
  } catch {
    // Nothing to do: the settings still apply to this page.
  }
}

/**
 * Fills the settings form (`#part-size`, `#concurrency`, `#content-md5`, `#crc64` and the
 * `signature` radios) with `initial` and calls `onChange` with the new settings on every edit.
 */
export function bindSettingsForm(form: HTMLFormElement, initial: DemoSettings, onChange: (settings: DemoSettings) => void): void {
  const partSize = form.querySelector<HTMLSelectElement>('#part-size')!;
  const concurrency = form.querySelector<HTMLInputElement>('#concurrency')!;
  const contentMd5 = form.querySelector<HTMLInputElement>('#content-md5')!;
  const crc64 = form.querySelector<HTMLInputElement>('#crc64')!;
  const signature = form.elements.namedItem('signature') as RadioNodeList;

  partSize.replaceChildren(...partSizeChoices.map((size) => new Option(size === 'auto' ? 'auto (sized to the link)' : formatBytes(size), String(size))));
  partSize.value = String(initial.partSize);
  concurrency.value = String(initial.concurrency);
  contentMd5.checked = initial.contentMd5;
  crc64.checked = initial.crc64;
  signature.value = initial.signatureVersion;

  let current = initial;
  form.addEventListener('submit', (event) => event.preventDefault());
  form.addEventListener('change', () => {
    const next = sanitize({
      partSize: partSize.value, concurrency: Number(concurrency.value), contentMd5: contentMd5.checked,
      crc64: crc64.checked, signatureVersion: signature.value,
    });
    concurrency.value = String(next.concurrency);
    if (JSON.stringify(next) === JSON.stringify(current)) return;
    current = next;
    onChange(next);
  });
}
