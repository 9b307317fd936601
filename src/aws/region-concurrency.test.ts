import { describe, expect, it } from 'vitest';
import { REGION_CONCURRENCY, ROWS_IN_FLIGHT, regionConcurrency } from './inventory.js';

describe('regionConcurrency', () => {
  it('starts as many keys at once over several accounts as one account does, and never fewer than 4 per Region', () => {
    expect(regionConcurrency(1)).toBe(REGION_CONCURRENCY);
    expect(regionConcurrency(2)).toBe(REGION_CONCURRENCY);
    // 5 accounts × 3 Regions: 15 pairs share the 48 keys at once (3.2 → 4 each, the floor).
    expect(regionConcurrency(15)).toBe(4);
    expect(regionConcurrency(6)).toBe(8);
    for (const pairs of [3, 4, 6, 8, 12]) expect(regionConcurrency(pairs) * pairs).toBeLessThanOrEqual(ROWS_IN_FLIGHT + pairs);
    expect(regionConcurrency(200)).toBe(4);
  });
});
