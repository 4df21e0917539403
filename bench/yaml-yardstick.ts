/**
 * The yardstick of the 20,000-object target (issue 16): a bare `yaml` round trip of the same
 * ResourceList the function reads. Run as its own Node process, as the function is, so both sides
 * pay one Node start and one load of `yaml`; what is left between them is the function's own work.
 *
 * "Bare" means the library's defaults and nothing else: `parseDocument(text)` then `toString()`,
 * stdin to stdout. It does not stash `process.env` around the parse as src/markers does, so it pays
 * yaml's per-token `process.env.LOG_TOKENS` read; that is what a plain user of the library gets.
 */
import { parseDocument } from 'yaml';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const text = Buffer.concat(chunks).toString('utf8');
const doc = parseDocument(text);
if (doc.errors.length > 0) {
  process.stderr.write(`yaml-yardstick: ${doc.errors[0]!.message}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(doc.toString());
}
