// "Did you mean …?" for a mistyped command or flag: the closest known word within a small
// edit distance (Damerau–Levenshtein, so a swapped pair of letters counts as one edit).

function distance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i += 1) {
    for (let j = 1; j < cols; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The known word closest to `typed`, if it is close enough to be a likely typo (or `typed` is a prefix of exactly one word). */
export function closest(typed: string, known: readonly string[]): string | undefined {
  const word = typed.toLowerCase();
  const prefixed = known.filter((k) => k.startsWith(word));
  if (word.length >= 2 && prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const allowed = word.length <= 4 ? 1 : word.length <= 8 ? 2 : 3;
  return bestDistance <= allowed ? best : undefined;
}

export function didYouMean(typed: string, known: readonly string[], prefix = ''): string {
  const match = closest(typed, known);
  return match ? ` — did you mean "${prefix}${match}"?` : '';
}

/** `unknown rotation command "enabel" (enable, disable, rotate-now) — did you mean "rotation enable"?` */
export function unknownSubcommand(group: string, typed: string | undefined, choices: readonly string[]): string {
  return `unknown ${group} command "${typed ?? ''}" (${choices.join(', ')})${typed ? didYouMean(typed, choices, `${group} `) : ''}`;
}
