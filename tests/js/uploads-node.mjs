// Uploads from what Node users pass (issue 17): a Node Readable from fs.createReadStream (the
// official SDK's most reported failure), a web ReadableStream, a Buffer, against the emulator.
import { writeFileSync, createReadStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runTests, assertEqual } from './harness.mjs';

const { Client } = await import('../../pkg/node.js');
const { createEmulator } = await import('../../pkg/testing/index.js');

const tests = [
  {
    name: 'im.v1.image.create and im.v1.file.create take fs.createReadStream(path), a web ReadableStream and a Buffer; the file name comes from the path',
    async fn() {
      const emu = await createEmulator();
      const path = `${tmpdir()}/feishu-edge-upload-${Date.now()}.png`;
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4, 5, 6]);
      writeFileSync(path, bytes);
      try {
        const client = new Client({ ...emu.clientOptions, logLevel: 'none' });
        const a = await client.im.v1.image.create({ data: { image_type: 'message', image: createReadStream(path) } });
        const b = await client.im.v1.image.create({ data: { image_type: 'message', image: new Response(bytes).body } });
        const c = await client.im.v1.file.create({ data: { file_type: 'stream', file_name: 'notes.bin', file: bytes } });
        assertEqual([a.code, b.code, c.code], [0, 0, 0]);
        // The official shape too: the reply's data at the top (`const { image_key } = await …`).
        assertEqual([a.image_key, a.data.image_key, typeof c.file_key], [a.data.image_key, a.image_key, 'string']);
        const forms = (await emu.calls()).map((r) => r.form);
        assertEqual(forms.map((f) => (f.image ?? f.file).size), [10, 10, 10]);
        assertEqual(forms[0].image.filename, path.split('/').pop());
        assertEqual(forms[0].image.bytes.slice(0, 4), [0x89, 0x50, 0x4e, 0x47]);
      } finally {
        rmSync(path, { force: true });
        await emu.close();
      }
    },
  },
];

const result = await runTests('uploads-node', tests, {});
console.log(result.lines.join('\n'));
process.exit(result.failed ? 1 : 0);
