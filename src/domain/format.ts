// Dates and ages as the views show them. Always UTC, so two operators in different time
// zones read the same screen the same way. Pure: `now` is always passed in.

const DAY_MS = 86_400_000;

function parse(iso: string | undefined): Date | undefined {
  if (iso === undefined || iso === '') return undefined;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** `2026-11-20`; `—` when absent, `?` when unparseable. */
export function formatDate(iso: string | undefined): string {
  if (iso === undefined || iso === '') return '—';
  const date = parse(iso);
  return date ? date.toISOString().slice(0, 10) : '?';
}

/** `2026-11-20 14:05` (UTC); `—` when absent, `?` when unparseable. */
export function formatDateTime(iso: string | undefined): string {
  if (iso === undefined || iso === '') return '—';
  const date = parse(iso);
  return date ? `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 16)}` : '?';
}

/** A span in the largest whole unit: `45s`, `12m`, `5h`, `3d`, `14mo`, `2y`. */
export function formatSpan(ms: number): string {
  const abs = Math.abs(ms);
  const seconds = Math.floor(abs / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h`;
  const days = Math.floor(abs / DAY_MS);
  if (days < 60) return `${days}d`;
  if (days < 730) return `${Math.floor(days / 30)}mo`;
  return `${Math.floor(days / 365)}y`;
}

/** `3d ago`, `in 8d`, `just now`; empty when the date is absent or unparseable. */
export function formatAge(iso: string | undefined, now: Date): string {
  const date = parse(iso);
  if (!date) return '';
  const diff = now.getTime() - date.getTime();
  if (Math.abs(diff) < 60_000) return 'just now';
  return diff > 0 ? `${formatSpan(diff)} ago` : `in ${formatSpan(diff)}`;
}

/** Whole days from `now` until the date (negative when past); undefined when unparseable. */
export function daysUntil(iso: string | undefined, now: Date): number | undefined {
  const date = parse(iso);
  if (!date) return undefined;
  return Math.ceil((date.getTime() - now.getTime()) / DAY_MS);
}

/**
 * The Regions for the header: all of them when few, else the first two and how many more;
 * "loading…" while `--all-regions` is still asking which are enabled.
 */
export function regionsLabel(regions: readonly string[]): string {
  if (regions.length === 0) return 'loading…';
  if (regions.length <= 6) return regions.join(', ');
  return `${regions.length}: ${regions.slice(0, 2).join(', ')} +${regions.length - 2} more`;
}

const GROUPED = new Intl.NumberFormat('en-US');

/** A count with its thousands grouped, the same in every line: "1,234,567". */
export function grouped(value: number): string {
  return GROUPED.format(value);
}
