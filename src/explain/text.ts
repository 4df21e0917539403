/**
 * `--explain`: the explain document as a few lines per field, for a person at a terminal.
 * Lines wrap at 100 columns under their label; colour only when the stream is a TTY and
 * NO_COLOR is unset.
 */
import { shortDigest, type CandidateEntry, type ExplainDocument, type MarkerExplanation } from './report.js';

export interface TextOptions {
  colour?: boolean;
  width?: number;
}

const LABEL_WIDTH = 9;
/** Tags named per reason; the rest are counted. */
const TAGS_PER_REASON = 5;

export function explainText(document: ExplainDocument, options: TextOptions = {}): string {
  const width = options.width ?? 100;
  const style = styles(options.colour ?? false);
  const blocks = document.markers.map((marker) => markerBlock(marker, width, style));
  const total = `apply-image-policies: explained ${document.markers.length} marked field${document.markers.length === 1 ? '' : 's'}; ${document.registry.requests} registry request${document.registry.requests === 1 ? '' : 's'} in all`;
  return `${[...blocks, total].join('\n')}\n`;
}

interface Styles {
  heading(text: string): string;
  label(text: string): string;
  outcome(kind: MarkerExplanation['outcome'], text: string): string;
}

function styles(colour: boolean): Styles {
  const sgr = (code: string) => (text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  const byOutcome = { pinned: sgr('32'), unchanged: sgr('2'), error: sgr('31') };
  return { heading: sgr('1'), label: sgr('36'), outcome: (kind, text) => byOutcome[kind](text) };
}

function markerBlock(marker: MarkerExplanation, width: number, style: Styles): string {
  const lines: string[] = [style.heading(where(marker))];
  const add = (label: string, text: string | undefined): void => {
    if (text === undefined || text === '') return;
    lines.push(...wrapped(label, text, width, style));
  };
  add('policy', `${marker.definedBy ?? `ImagePolicy ${marker.policy} (not defined)`}, for ${marker.marker ? `marker ${marker.marker}` : marker.declaredBy}`);
  add('image', marker.image);
  if (marker.funnel) lines.push(...wrapped('funnel', marker.funnel, width, style, ' → '));
  if (marker.selected) {
    const chosen = marker.candidates?.find((c) => c.verdict === 'selected');
    add('selected', `${marker.selected.tag}${marker.selected.digest ? ` @ ${shortDigest(marker.selected.digest)}` : ''}${chosen ? `: ${chosen.reason}` : ''}`);
  }
  for (const [label, verdicts] of [
    ['outranked', ['outranked']],
    ['gated', ['gated']],
    ['rejected', ['rejected']],
    ['filtered', ['filtered']],
    ['excluded', ['excluded']],
  ] as const) {
    add(label, grouped((marker.candidates ?? []).filter((c) => (verdicts as readonly string[]).includes(c.verdict))));
  }
  if (marker.candidatesOmitted) add('', `(${marker.candidatesOmitted} more tags not shown; --explain-json lists the same sample)`);
  if (marker.alias) {
    const a = marker.alias;
    add('alias', `${a.rolling} is ${shortDigest(a.digest)}; ${a.tag === undefined ? 'no candidate points there' : `${a.tag} points there`}, found by ${a.method}, ${a.asked} tag${a.asked === 1 ? '' : 's'} asked`);
  }
  if (marker.registry) {
    const r = marker.registry;
    add('registry', `${r.repository}: ${r.requests} request${r.requests === 1 ? '' : 's'}, cache ${r.cache.hits} hit${r.cache.hits === 1 ? '' : 's'} / ${r.cache.misses} miss${r.cache.misses === 1 ? '' : 'es'}`);
    add('auth', r.credentials ?? 'none: the registry did not ask');
  }
  // The image line names the repository; repeating it would push the digest past 100 columns.
  const value = (text: string | undefined): string => (text && marker.image && text.startsWith(`${marker.image}:`) ? text.slice(marker.image.length) : (text ?? ''));
  const result =
    marker.outcome === 'error'
      ? `error: ${marker.error ?? ''}`
      : marker.outcome === 'pinned'
        ? `pinned: ${value(marker.before)} → ${value(marker.after)}`
        : `unchanged: ${value(marker.before)}`;
  lines.push(...wrapped('result', result, width, style).map((line, i) => (i === 0 ? style.outcome(marker.outcome, line) : line)));
  return lines.join('\n');
}

function where(marker: MarkerExplanation): string {
  const resource = marker.resource ? `${marker.resource.kind} ${marker.resource.namespace ? `${marker.resource.namespace}/` : ''}${marker.resource.name}` : undefined;
  return [marker.file, resource, marker.field].filter((part) => part !== undefined).join('  ');
}

/** `reason: a, b, c (+4 more)`, one group per reason, in first-seen order. */
function grouped(candidates: readonly CandidateEntry[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const byReason = new Map<string, string[]>();
  for (const c of candidates) byReason.set(c.reason, [...(byReason.get(c.reason) ?? []), c.tag]);
  return [...byReason]
    .map(([reason, tags]) => `${tags.slice(0, TAGS_PER_REASON).join(', ')}${tags.length > TAGS_PER_REASON ? ` (+${tags.length - TAGS_PER_REASON} more)` : ''}: ${reason}`)
    .join('; ');
}

/** The label in its column, the text wrapped at word boundaries to `width`, continuation lines indented. */
function wrapped(label: string, text: string, width: number, style: Styles, separator = ' '): string[] {
  const indent = ' '.repeat(2 + LABEL_WIDTH + 1);
  const room = Math.max(20, width - indent.length);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(separator)) {
    if (line !== '' && line.length + separator.length + word.length > room) {
      lines.push(separator === ' ' ? line : `${line}${separator.trimEnd()}`);
      line = word;
    } else line = line === '' ? word : `${line}${separator}${word}`;
  }
  lines.push(line);
  return lines.map((content, i) => (i === 0 ? `  ${style.label(label.padEnd(LABEL_WIDTH))} ${content}` : `${indent}${content}`));
}
