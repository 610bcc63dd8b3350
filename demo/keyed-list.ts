/**
 * Panels that mirror a list from the SDK or the server: items are kept by key and updated in place
 * (so focus and a half-finished interaction survive a refresh), and refreshes never overlap.
 */

/** Renders `items` into `list`: `create` for new keys, `update` for kept ones; gone keys are removed. */
export function syncList<T, E extends HTMLElement>(
  list: HTMLElement, items: readonly T[], keyOf: (item: T) => string,
  create: (item: T) => E, update: (element: E, item: T) => void,
): void {
  const existing = new Map<string, E>();
  for (const child of [...list.children] as E[]) existing.set(child.dataset['itemKey'] ?? '', child);
  const ordered = items.map((item) => {
    const key = keyOf(item);
    let element = existing.get(key);
    existing.delete(key);
    if (!element) {
      element = create(item);
      element.dataset['itemKey'] = key;
    }
    update(element, item);
    return element;
  });
  for (const stale of existing.values()) stale.remove();
  ordered.forEach((element, index) => {
    if (list.children[index] !== element) list.insertBefore(element, list.children[index] ?? null);
  });
}

/** Wraps `load` so a call during a running load runs it once more afterwards instead of in parallel. */
export function coalesce(load: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await load();
      } while (again);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
}
