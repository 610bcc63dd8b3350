// The app every consumer page runs: what an application writes against the published package,
// nothing more. The same file is built by vite, bundled by esbuild and loaded as is through an import
// map (plain JavaScript, so the bundler-free page needs no compiler either). e2e/package.spec.ts
// calls `window.consumerApp.upload(…)` and checks the result in Node.
import { createUploader } from 'oss-resumable';

window.consumerApp = {
  /** Uploads the file picked in `#file`; resolves with plain data, never rejects. */
  async upload({ endpoint, bucket, region, credentials, key, partSize }) {
    const file = document.querySelector('#file').files[0];
    const uploader = createUploader({ endpoint, bucket, region, pathStyle: true, credentials, partSize });
    const parts = [];
    try {
      const result = await uploader.upload(file, key, {
        onPartComplete: (part) => parts.push(part.partNumber),
      });
      return { ok: true, etag: result.etag, size: result.size, parts };
    } catch (error) {
      return { ok: false, error: `${error?.name}: ${error?.message}`, parts };
    } finally {
      uploader.dispose();
    }
  },
};
document.body.dataset.ready = 'true';
