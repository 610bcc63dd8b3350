// `npm run check:deps` (part of `npm test`): the import rules that keep the layers apart (issue 15).
// src/core is the upload engine; src/oss (transport, signing, XML, client), src/persistence and
// src/hashing are the edges it drives, so they never reach back into it. The local OSS server
// (server/) stands alone: it is what the SDK is tested against, so it must not share the SDK's code.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: modules that need each other belong together, or the shared part in a module of its own.',
      from: { path: '^(src|server/src)/' },
      to: { circular: true },
    },
    {
      name: 'edges-not-engine',
      severity: 'error',
      comment: 'src/oss, src/persistence and src/hashing must not import src/core (the engine uses them, not the other way round).',
      from: { path: '^src/(oss|persistence|hashing)/' },
      to: { path: '^src/core/' },
    },
    {
      name: 'server-not-sdk',
      severity: 'error',
      comment: 'The local OSS server must not import the SDK (src/): it would stop being an independent counterpart.',
      from: { path: '^server/' },
      to: { path: '^src/' },
    },
  ],
  options: {
    // Type-only imports count too: a cycle through types is still a cycle for the reader.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^(src|server)/',
  },
};
