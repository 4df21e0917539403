// An esbuild plugin for scripts/bundle.mjs: requires inside dependencies that a run does not need
// at load time are moved to their first use. Each edit is an exact text replacement that fails the
// build when the dependency's source no longer has the text, so an upgrade cannot drop it silently.
import { readFile } from 'node:fs/promises';

/*
 * undici's Client requires its HTTP/2 half (client-h2.js) when it loads, and client-h2.js requires
 * node:http2 (Node's http2 core, its compat layer and the nghttp2 binding: ~2 ms of a one-marker
 * run, and ~1,000 lines of undici compiled or read from the code cache). The Client calls it in
 * one place, for a socket whose ALPN chose h2, which needs `allowH2` (src/registry/dispatcher.ts
 * never sets it, and undici 7 defaults it to false). A wrapper requiring the module on that first
 * call keeps the call synchronous and its behaviour the same, h2 or not.
 */
const EDITS = [
  {
    file: /[\\/]node_modules[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client\.js$/,
    from: "const connectH2 = require('./client-h2.js')",
    to: "let clientH2\nconst connectH2 = (client, socket) => (clientH2 ??= require('./client-h2.js'))(client, socket)",
  },
];

export const lazyRequires = {
  name: 'lazy-requires',
  setup(build) {
    for (const edit of EDITS) {
      build.onLoad({ filter: edit.file }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (source.split(edit.from).length !== 2) {
          return { errors: [{ text: `scripts/lazy-requires.mjs: ${args.path} no longer contains ${JSON.stringify(edit.from)} exactly once` }] };
        }
        return { contents: source.replace(edit.from, edit.to), loader: 'js' };
      });
    }
  },
};
