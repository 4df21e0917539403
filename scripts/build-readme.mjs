#!/usr/bin/env node
// README.md carries the sections kept in docs/*.md, which the tests check against
// the configs they run verbatim. This inlines each `<!-- include: FILE level=N -->`
// block (headings shifted so the file's top heading has level N, links made
// relative to the root) and regenerates the table of contents.
// `--check` exits 1 when README.md is stale, so CI catches an unsynced edit.
import { readFileSync } from 'node:fs';
import { writeOrCheck } from './generated-file.mjs';

const README = 'README.md';

function shiftHeadings(text, topLevel) {
  const lines = text.replace(/\n+$/, '').split('\n');
  let inFence = false;
  const levels = [];
  for (const line of lines) {
    if (/^(```|~~~)/.test(line)) inFence = !inFence;
    else if (!inFence && /^#{1,6} /.test(line)) levels.push(line.indexOf(' '));
  }
  const shift = levels.length > 0 ? topLevel - Math.min(...levels) : 0;
  inFence = false;
  return lines
    .map((line) => {
      if (/^(```|~~~)/.test(line)) inFence = !inFence;
      if (inFence || !/^#{1,6} /.test(line)) return line;
      const level = Math.min(6, line.indexOf(' ') + shift);
      return '#'.repeat(level) + line.slice(line.indexOf(' '));
    })
    .join('\n')
    .replaceAll('](../', '](');
}

function anchor(title) {
  return title
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

export function buildReadme(source) {
  let text = source.replace(
    /<!-- include: (\S+) level=(\d) -->\n[\s\S]*?<!-- \/include -->/g,
    (_, file, level) => `<!-- include: ${file} level=${level} -->\n${shiftHeadings(readFileSync(file, 'utf8'), Number(level))}\n<!-- /include -->`,
  );
  const headings = [];
  let inFence = false;
  for (const line of text.split('\n')) {
    if (/^(```|~~~)/.test(line)) inFence = !inFence;
    else if (!inFence && line.startsWith('## ')) headings.push(line.slice(3));
  }
  const toc = headings.map((h) => `- [${h.replace(/`/g, '')}](#${anchor(h)})`).join('\n');
  text = text.replace(/<!-- toc -->\n[\s\S]*?<!-- \/toc -->/, `<!-- toc -->\n${toc}\n<!-- /toc -->`);
  return text;
}

const current = readFileSync(README, 'utf8');
if (writeOrCheck(README, buildReadme(current), 'README.md is out of date with docs/*.md: run `node scripts/build-readme.mjs`')) {
  console.log('README.md updated');
}
