/**
 * Where files come from: the drop zone (a button that also opens the picker), Chromium's
 * `showOpenFilePicker` — whose `FileSystemFileHandle`s let an upload resume after a reload without
 * asking again — and an `<input type=file>` everywhere else.
 */

/** A file to upload, with its handle when the browser gave one. */
export type PickedFile = { readonly file: File; readonly handle?: FileSystemFileHandle };

type OpenFilePicker = (options: { multiple?: boolean }) => Promise<FileSystemFileHandle[]>;
type HandleItem = DataTransferItem & { getAsFileSystemHandle?: () => Promise<FileSystemHandle | null> };

function filePicker(): OpenFilePicker | undefined {
  const picker = (window as { showOpenFilePicker?: OpenFilePicker }).showOpenFilePicker;
  return typeof picker === 'function' ? picker.bind(window) : undefined;
}

async function fromHandle(handle: FileSystemFileHandle): Promise<PickedFile> {
  return { file: await handle.getFile(), handle };
}

/**
 * Asks the user for files: `showOpenFilePicker` where it exists (handles are kept), otherwise a
 * click on `fallback` (whose `change` the caller listens to). Resolves `[]` when the user cancels
 * or the fallback input takes over.
 */
export async function pickFiles(fallback: HTMLInputElement, multiple: boolean): Promise<PickedFile[]> {
  const picker = filePicker();
  if (!picker) {
    fallback.click();
    return [];
  }
  try {
    return await Promise.all((await picker({ multiple })).map(fromHandle));
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') return []; // the user closed the picker
    fallback.click(); // e.g. SecurityError inside a cross-origin frame
    return [];
  }
}

/** The files of a fallback `<input type=file>`, then clears it so the same file can be picked again. */
export function takeInputFiles(input: HTMLInputElement): PickedFile[] {
  const files = [...(input.files ?? [])].map((file) => ({ file }));
  input.value = '';
  return files;
}

/**
 * The dropped files, with handles where `getAsFileSystemHandle` gives one. Items must be read
 * synchronously inside the drop event (the list is emptied afterwards), hence the two passes.
 */
export async function filesFromDrop(transfer: DataTransfer): Promise<PickedFile[]> {
  const items = [...transfer.items].filter((item) => item.kind === 'file') as HandleItem[];
  const pending = items.map((item) => ({ file: item.getAsFile(), handle: item.getAsFileSystemHandle?.().catch(() => null) }));
  const files: PickedFile[] = [];
  for (const { file, handle } of pending) {
    const resolved = await handle;
    if (resolved?.kind === 'file') files.push(await fromHandle(resolved as FileSystemFileHandle));
    else if (file && !resolved) files.push({ file }); // a directory handle is skipped, a plain file kept
  }
  if (items.length === 0) files.push(...[...transfer.files].map((file) => ({ file })));
  return files;
}

/**
 * Makes `zone` (a button) accept dropped files and open the picker when pressed; `input` is the
 * picker fallback. Calls `onFiles` with every batch.
 */
export function bindDropZone(zone: HTMLElement, input: HTMLInputElement, onFiles: (files: PickedFile[]) => void): void {
  const deliver = (files: PickedFile[]) => {
    if (files.length > 0) onFiles(files);
  };
  zone.addEventListener('click', () => void pickFiles(input, true).then(deliver));
  input.addEventListener('change', () => deliver(takeInputFiles(input)));
  let depth = 0;
  const setActive = (active: boolean) => zone.classList.toggle('drag-over', active);
  zone.addEventListener('dragenter', (event) => {
    event.preventDefault();
    depth += 1;
    setActive(true);
  });
  zone.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) setActive(false);
  });
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  });
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    depth = 0;
    setActive(false);
    if (event.dataTransfer) void filesFromDrop(event.dataTransfer).then(deliver);
  });
  // A file dropped beside the zone must not navigate away from the page.
  for (const type of ['dragover', 'drop'] as const) {
    window.addEventListener(type, (event) => {
      if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
    });
  }
}
