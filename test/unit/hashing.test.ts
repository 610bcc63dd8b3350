import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCrc64 } from '../../src/hashing/crc64.js';
import { crc64Combine } from '../../src/hashing/crc64-combine.js';
import { formatCrc64, parseCrc64 } from '../../src/hashing/crc64-text.js';
import { createHasher } from '../../src/hashing/hash-pool.js';
import type { HashRequest, HashResponse } from '../../src/hashing/hash-worker.js';
import { workerSource } from '../../src/hashing/worker-source.generated.js';

const MiB = 1024 * 1024;
const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const crcOf = (bytes: Uint8Array): bigint => createCrc64().update(bytes).digest();
const md5 = (bytes: Uint8Array, encoding: 'hex' | 'base64'): string => createHash('md5').update(bytes).digest(encoding);

// Reference CRC-64/XZ straight from the definition, on BigInt: reflected ECMA-182, shifted one bit at a
// time. Tabulated per byte (Sarwate) only so 10 MiB takes a second rather than ten.
const referencePoly = 0xc96c5795d7870f42n;
const allOnes = 0xffffffffffffffffn;
const shiftByte = (value: bigint): bigint => {
  let crc = value;
  for (let bit = 0; bit < 8; bit++) {
    crc = (crc & 1n) === 1n ? (crc >> 1n) ^ referencePoly : crc >> 1n;
  }
  return crc;
};
const referenceTable = Array.from({ length: 256 }, (_, n) => shiftByte(BigInt(n)));
function referenceCrc64(bytes: Uint8Array): bigint {
  let crc = allOnes;
  for (const byte of bytes) {
    crc = referenceTable[Number(crc & 0xffn) ^ byte]! ^ (crc >> 8n);
  }
  return crc ^ allOnes;
}

/** Runs the generated worker script in this thread against a fake `self`: proves the bundle is self-contained. */
function loadWorkerScript(): { post(request: HashRequest): void; replies: HashResponse[]; next(): Promise<HashResponse> } {
  let onMessage: ((event: { data: HashRequest }) => void) | undefined;
  const replies: HashResponse[] = [];
  const waiting: Array<(reply: HashResponse) => void> = [];
  const fakeSelf = {
    postMessage(reply: HashResponse) {
      const waiter = waiting.shift();
      if (waiter) {
        waiter(reply);
      } else {
        replies.push(reply);
      }
    },
    addEventListener(type: string, listener: (event: { data: HashRequest }) => void) {
      if (type === 'message') {
        onMessage = listener;
      }
    },
  };
  new Function('self', workerSource)(fakeSelf);
  return {
    replies,
    post: (request) => onMessage?.({ data: request }),
    next: () => {
      const reply = replies.shift();
      return reply ? Promise.resolve(reply) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/**
 * Stands in for the platform's Worker in Node: runs the real generated worker script, asynchronously,
 * and honours terminate() by dropping replies. `crash()` fires an error event like an uncaught throw.
 */
class ScriptWorker extends EventTarget {
  static started: ScriptWorker[] = [];
  terminated = false;
  readonly #script = loadWorkerScript();
  constructor() {
    super();
    ScriptWorker.started.push(this);
  }
  postMessage(request: HashRequest): void {
    setTimeout(() => {
      this.#script.post(request);
      void this.#script.next().then((data) => {
        if (!this.terminated) {
          this.dispatchEvent(new MessageEvent('message', { data }));
        }
      });
    });
  }
  terminate(): void {
    this.terminated = true;
  }
  crash(message: string): void {
    this.dispatchEvent(Object.assign(new Event('error', { cancelable: true }), { message }));
  }
}
const createScriptWorker = (): Worker => new ScriptWorker() as unknown as Worker;

describe('CRC-64/XZ (docs/protocol.md §6)', () => {
  const huxley = 'Even if I could be Shakespeare, I think I should still choose to be Faraday. - A. Huxley';

  it.each([
    ['', 0x0n],
    ['123456789', 0x995dc9bbdf1939fan],
    ['This is a test of the emergency broadcast system.', 0x27db187fc15bbc72n],
    [huxley, 0x7ad25fafa1710407n],
    ['a', 0x330284772e652b05n],
  ])('matches the vector for %j', (input, expected) => {
    expect(crcOf(text(input))).toBe(expected);
    expect(referenceCrc64(text(input))).toBe(expected);
  });

  it('prints and parses unsigned decimal as OSS does', () => {
    expect(formatCrc64(crcOf(text('123456789')))).toBe('11051210869376104954');
    expect(formatCrc64(0n)).toBe('0');
    expect(parseCrc64('11051210869376104954')).toBe(0x995dc9bbdf1939fan);
    expect(parseCrc64('18446744073709551615')).toBe(allOnes);
    expect(() => formatCrc64(-1n)).toThrow(RangeError);
    expect(() => formatCrc64(allOnes + 1n)).toThrow(RangeError);
    for (const bad of ['', ' 1', '0x1f', '-1', '1.0', '18446744073709551616']) {
      expect(() => parseCrc64(bad)).toThrow(SyntaxError);
    }
  });

  it('gives the same CRC fed incrementally or combined, at every split point of the Huxley vector', () => {
    const bytes = text(huxley);
    for (let split = 0; split <= bytes.length; split++) {
      const [head, tail] = [bytes.subarray(0, split), bytes.subarray(split)];
      expect(createCrc64().update(head).update(tail).digest()).toBe(0x7ad25fafa1710407n);
      expect(crc64Combine(crcOf(head), crcOf(tail), tail.length)).toBe(0x7ad25fafa1710407n);
    }
  });

  it('combines random data across many split points, with empty sides, and from 0', () => {
    const bytes = new Uint8Array(randomBytes(64 * 1024 + 5));
    const whole = referenceCrc64(bytes);
    for (const split of [0, 1, 7, 8, 9, 4095, 4096, 32_768, 65_535, bytes.length - 1, bytes.length]) {
      const tail = bytes.subarray(split);
      expect(crc64Combine(crcOf(bytes.subarray(0, split)), crcOf(tail), tail.length)).toBe(whole);
    }
    expect(crc64Combine(0n, whole, bytes.length)).toBe(whole);
    expect(crc64Combine(whole, 0n, 0)).toBe(whole);
  });

  it('folds 10,000 equal parts plus a short last one into the whole-object CRC', () => {
    const partSize = 1000;
    const bytes = new Uint8Array(randomBytes(10_000 * partSize + 123));
    const partCrcs: Array<[bigint, number]> = [];
    for (let start = 0; start < bytes.length; start += partSize) {
      const part = bytes.subarray(start, start + partSize);
      partCrcs.push([crcOf(part), part.length]);
    }
    const started = performance.now();
    let combined = 0n;
    for (const [crc, size] of partCrcs) {
      combined = crc64Combine(combined, crc, size);
    }
    const elapsedMs = performance.now() - started;
    expect(partCrcs).toHaveLength(10_001);
    expect(combined).toBe(crcOf(bytes));
    // Loose on purpose (shared CI machines): the operator is cached per length, typically ~10 ms here.
    expect(elapsedMs).toBeLessThan(1000);
  });

  it('combines parts of 5 GiB (lengths beyond 32 bits) consistently with smaller steps', () => {
    const fiveGiB = 5 * 1024 * MiB;
    const [a, b, c] = [0x0123456789abcdefn, 0xfedcba9876543210n, 0x1111111111111111n];
    // Appending 5 GiB of B at once equals appending it as 2 GiB + 3 GiB worth of zero-extension steps.
    const viaOne = crc64Combine(a, b, fiveGiB);
    const viaTwo = crc64Combine(crc64Combine(a, 0n, 2 * 1024 * MiB), b, 3 * 1024 * MiB);
    expect(viaOne).toBe(viaTwo);
    expect(crc64Combine(crc64Combine(a, b, fiveGiB), c, 1)).not.toBe(viaOne);
  });

  it('rejects invalid combine arguments', () => {
    expect(() => crc64Combine(0n, 0n, -1)).toThrow(RangeError);
    expect(() => crc64Combine(0n, 0n, 1.5)).toThrow(RangeError);
    expect(() => crc64Combine(-1n, 0n, 1)).toThrow(RangeError);
  });
});

describe('createHasher in Node (inline mode)', () => {
  it('runs inline with one lane where Worker is missing', () => {
    expect(typeof Worker).toBe('undefined');
    const hasher = createHasher({ workers: 3 });
    expect(hasher.mode).toBe('inline');
    expect(hasher.workers).toBe(1);
  });

  it('computes Content-MD5 for the OSS vector', async () => {
    const digest = await createHasher().hash(new Blob(['0123456789']), { md5: true, crc64: false });
    expect(digest).toEqual({ md5Base64: 'eB5eJF1ptWaXm4bijSPyxw==', md5Hex: '781e5e245d69b566979b86e28d23f2c7' });
  });

  it('hashes a 0-byte blob', async () => {
    const digest = await createHasher().hash(new Blob([]), { md5: true, crc64: true });
    expect(digest).toEqual({ md5Base64: '1B2M2Y8AsgTpgAmY7PhCfg==', md5Hex: 'd41d8cd98f00b204e9800998ecf8427e', crc64: 0n });
  });

  it('returns only what was asked for', async () => {
    const hasher = createHasher();
    expect(await hasher.hash(new Blob(['123456789']), { md5: false, crc64: true })).toEqual({ crc64: 0x995dc9bbdf1939fan });
    expect(await hasher.hash(new Blob(['123456789']), { md5: false, crc64: false })).toEqual({});
  });

  it.each([1, MiB + 3, 10 * MiB])('matches node:crypto MD5 and the reference CRC for %i random bytes', async (size) => {
    const bytes = new Uint8Array(randomBytes(size));
    const digest = await createHasher().hash(new Blob([bytes]), { md5: true, crc64: true });
    expect(digest.md5Hex).toBe(md5(bytes, 'hex'));
    expect(digest.md5Base64).toBe(md5(bytes, 'base64'));
    expect(digest.crc64).toBe(referenceCrc64(bytes));
  });

  it('samples the MD5 of concatenated ranges, across chunk boundaries and clamped at the end', async () => {
    const bytes = new Uint8Array(randomBytes(5 * MiB + 17));
    const ranges: Array<[number, number]> = [
      [0, 64],
      [100, 100],
      [2 * MiB - 10, 4 * MiB + 10],
      [bytes.length - 7, bytes.length + 1000],
    ];
    const expected = createHash('md5');
    for (const [start, end] of ranges) {
      expected.update(bytes.subarray(start, end));
    }
    expect(await createHasher().sample(new Blob([bytes]), ranges)).toBe(expected.digest('hex'));
  });

  it('rejects a queued job with signal.reason when it is aborted, and still runs the others', async () => {
    const hasher = createHasher();
    const bytes = new Uint8Array(randomBytes(8 * MiB));
    const running = hasher.hash(new Blob([bytes]), { md5: true, crc64: false });
    const controller = new AbortController();
    const queued = hasher.hash(new Blob(['queued']), { md5: true, crc64: false }, controller.signal);
    const after = hasher.hash(new Blob(['after']), { md5: true, crc64: false });
    const reason = new Error('user cancelled');
    controller.abort(reason);
    await expect(queued).rejects.toBe(reason);
    expect((await running).md5Hex).toBe(md5(bytes, 'hex'));
    expect((await after).md5Hex).toBe(md5(text('after'), 'hex'));
  });

  it('stops a running job between chunks, rejects with signal.reason, and frees the lane', async () => {
    const hasher = createHasher();
    const controller = new AbortController();
    const running = hasher.hash(new Blob([new Uint8Array(64 * MiB)]), { md5: true, crc64: true }, controller.signal);
    const next = hasher.sample(new Blob(['abc']), [[0, 3]]);
    setTimeout(() => controller.abort(), 5);
    await expect(running).rejects.toBeInstanceOf(DOMException);
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(await next).toBe(md5(text('abc'), 'hex'));
  });

  it('rejects at once with signal.reason when the signal is already aborted', async () => {
    const reason = new Error('already');
    const digest = createHasher().hash(new Blob(['x']), { md5: true, crc64: false }, AbortSignal.abort(reason));
    await expect(digest).rejects.toBe(reason);
  });

  it('validates its options and arguments', async () => {
    expect(() => createHasher({ workers: 0 })).toThrow(RangeError);
    expect(() => createHasher({ workers: 1.5 })).toThrow('Expected `workers` to be an integer ≥ 1, got `1.5` (number)');
    expect(() => createHasher({ workers: '2' as unknown as number })).toThrow(TypeError);
    expect(() => createHasher({ createWorker: 'worker.js' as unknown as () => Worker })).toThrow(TypeError);
    const hasher = createHasher();
    await expect(hasher.hash('bytes' as unknown as Blob, { md5: true, crc64: false })).rejects.toThrow(TypeError);
    await expect(hasher.sample(new Blob(['x']), [[-1, 1]])).rejects.toThrow(RangeError);
    await expect(hasher.sample(new Blob(['x']), [[2, 1]])).rejects.toThrow(RangeError);
  });

  it('rejects pending and later jobs once disposed', async () => {
    const hasher = createHasher();
    const running = hasher.hash(new Blob([new Uint8Array(16 * MiB)]), { md5: true, crc64: false });
    const queued = hasher.hash(new Blob(['q']), { md5: true, crc64: false });
    hasher.dispose();
    await expect(running).rejects.toThrow('disposed');
    await expect(queued).rejects.toThrow('disposed');
    await expect(hasher.hash(new Blob(['x']), { md5: true, crc64: false })).rejects.toThrow('disposed');
  });
});

describe('the generated worker script', () => {
  it('evaluates on its own and answers hash, sample and error requests', async () => {
    const worker = loadWorkerScript();
    worker.post({ id: 7, blob: new Blob(['0123456789']), md5: true, crc64: true });
    expect(await worker.next()).toEqual({
      id: 7,
      md5Base64: 'eB5eJF1ptWaXm4bijSPyxw==',
      md5Hex: '781e5e245d69b566979b86e28d23f2c7',
      crc64: formatCrc64(crcOf(text('0123456789'))),
    });
    worker.post({ id: 8, kind: 'sample', blob: new Blob(['0123456789']), ranges: [[0, 2], [8, 10]] });
    expect(await worker.next()).toEqual({ id: 8, md5Hex: md5(text('0189'), 'hex') });
    const unreadable = { size: 1, slice: () => ({ arrayBuffer: () => Promise.reject(new DOMException('gone', 'NotReadableError')) }) };
    worker.post({ id: 9, blob: unreadable as unknown as Blob, md5: true, crc64: false });
    expect(await worker.next()).toEqual({ id: 9, error: 'NotReadableError: gone' });
  });
});

describe('createHasher in worker mode (createWorker running the generated script)', () => {
  it('starts workers lazily, at most `workers` of them, and hashes in parallel', async () => {
    ScriptWorker.started = [];
    const hasher = createHasher({ workers: 2, createWorker: createScriptWorker });
    expect(hasher.mode).toBe('worker');
    expect(ScriptWorker.started).toHaveLength(0);
    const inputs = ['a', 'bb', 'ccc', 'dddd', 'eeeee'];
    const digests = await Promise.all(inputs.map((input) => hasher.hash(new Blob([input]), { md5: true, crc64: true })));
    expect(digests.map((digest) => digest.md5Hex)).toEqual(inputs.map((input) => md5(text(input), 'hex')));
    expect(digests.map((digest) => digest.crc64)).toEqual(inputs.map((input) => crcOf(text(input))));
    expect(ScriptWorker.started).toHaveLength(2);
    hasher.dispose();
    expect(ScriptWorker.started.every((worker) => worker.terminated)).toBe(true);
  });

  it('terminates the worker of an aborted running job and runs the next job on a fresh one', async () => {
    ScriptWorker.started = [];
    const hasher = createHasher({ workers: 1, createWorker: createScriptWorker });
    const controller = new AbortController();
    const running = hasher.hash(new Blob([new Uint8Array(MiB)]), { md5: true, crc64: false }, controller.signal);
    const queued = hasher.hash(new Blob(['next']), { md5: true, crc64: false });
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect((await queued).md5Hex).toBe(md5(text('next'), 'hex'));
    expect(ScriptWorker.started).toHaveLength(2);
    expect(ScriptWorker.started[0]?.terminated).toBe(true);
  });

  it('fails the job of a crashed worker and replaces the worker', async () => {
    ScriptWorker.started = [];
    const hasher = createHasher({ workers: 1, createWorker: createScriptWorker });
    const crashed = hasher.hash(new Blob([new Uint8Array(MiB)]), { md5: true, crc64: false });
    ScriptWorker.started[0]?.crash('out of memory');
    await expect(crashed).rejects.toThrow('The hash worker failed: out of memory');
    expect(await hasher.sample(new Blob(['xyz']), [[0, 3]])).toBe(md5(text('xyz'), 'hex'));
    expect(ScriptWorker.started).toHaveLength(2);
  });

  it('reports a worker that cannot be created, with the CSP hint', async () => {
    const hasher = createHasher({
      createWorker: () => {
        throw new DOMException('blocked by CSP', 'SecurityError');
      },
    });
    await expect(hasher.hash(new Blob(['x']), { md5: true, crc64: false })).rejects.toThrow(/blocked by CSP.*createWorker/);
  });
});
