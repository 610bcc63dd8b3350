/**
 * Preloaded into the OSS server child (`--import`): exits when the benchmark that started it is gone
 * (the child was re-parented), so a killed benchmark never leaves a server running.
 */
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 500).unref();
