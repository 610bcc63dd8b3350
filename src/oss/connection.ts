/**
 * Builds the transport of a client from its connection options, checked and resolved once,
 * synchronously, by src/options.ts (a bad option throws at the call, not later as a failed request).
 */
import type { ResolvedConnection } from '../options.js';
import { createCredentialCache } from './credentials.js';
import { createTransport, type Transport } from './transport.js';

/** Creates the transport of resolved connection options (static credentials are checked here). */
export function connect(connection: ResolvedConnection): Transport {
  // Refresh-before-expiry must use the server-corrected clock, which the transport learns.
  let learnt: Transport | undefined;
  const now = () => Date.now() + (learnt?.clockOffsetMs() ?? 0);
  const transport = createTransport({ ...connection, credentials: createCredentialCache(connection.credentials, now) });
  learnt = transport;
  return transport;
}
