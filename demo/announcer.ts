/**
 * Screen-reader announcements through one `aria-live="polite"` region. Progress is throttled: an
 * upload is announced when its phase changes and at every further 10 %, never on every tick.
 */

/** Speaks through the live region. */
export type Announcer = {
  /** Announces `text` (messages said within a moment are read together). */
  say(text: string): void;
  /** Announces an upload's progress when its phase changed or it crossed another 10 %. */
  progress(id: string, name: string, phase: string, percent: number): void;
  /** Forgets an upload's last announced state (after it ended, or before it runs again). */
  forget(id: string): void;
};

/** Creates an announcer speaking through `region` (which must carry `aria-live`). */
export function createAnnouncer(region: HTMLElement, delayMs = 400): Announcer {
  const last = new Map<string, { phase: string; decile: number }>();
  let queued: string[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  const say = (text: string) => {
    queued.push(text);
    timer ??= setTimeout(() => {
      region.textContent = queued.join(' ');
      queued = [];
      timer = undefined;
    }, delayMs);
  };

  return {
    say,
    progress(id, name, phase, percent) {
      const decile = Math.floor(percent / 10);
      const before = last.get(id);
      if (before && before.phase === phase && before.decile >= decile) return;
      last.set(id, { phase, decile });
      say(phase === 'uploading' ? `${name}: uploading, ${decile * 10} percent.` : `${name}: ${phase}.`);
    },
    forget: (id) => void last.delete(id),
  };
}
