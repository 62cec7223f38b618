import type { BenchResult } from './stats.js';

const show = (n: number | null, unit = '') => (n === null ? '-' : `${n}${unit ? ` ${unit}` : ''}`);

/** The results as a Markdown table (readable on a terminal, pasteable into the README), workloads and notes below it. */
export function formatTable(results: readonly BenchResult[]): string {
  const header = ['figure', 'value (median unless marked)', 'p99', 'baseline (floor)', 'ratio', 'rounds'];
  const marked = (r: BenchResult, shown: string) => (r.center ? `${shown} (${r.center})` : shown);
  const rows = results.map((r) => [
    r.name,
    marked(r, show(r.value, r.unit)),
    show(r.p99, r.unit),
    marked(r, show(r.baseline, r.baselineUnit ?? r.unit)),
    r.ratio === null ? '-' : r.ratio.toFixed(2),
    String(r.rounds),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const table = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
  const details = results.map((r) => `- ${r.name}: ${r.workload}${r.notes ? `. ${r.notes}` : ''}`);
  return [...table, '', ...details].join('\n');
}
