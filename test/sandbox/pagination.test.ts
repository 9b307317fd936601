// Pagination on every List* (KMS.md §3.2): limits, defaults, opaque markers, every item exactly once.

import {
  CreateGrantCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeyRotationsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  RotateKeyOnDemandCommand,
  TagResourceCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, openHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  // Bulk set-up through raw calls without retries (keys, aliases, grants, rotations) beyond an account's quotas.
  h = await openHarness({ largeEstate: 250, quotaScale: 20 });
});
afterAll(async () => {
  await h.close();
});

interface Paged<T> {
  items?: T[];
  Truncated?: boolean;
  NextMarker?: string;
}

/** Pages until Truncated is false; returns every item and the number of pages. */
async function pageAll<T>(fetch: (marker: string | undefined) => Promise<Paged<T>>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let marker: string | undefined;
  let pages = 0;
  do {
    const page = await fetch(marker);
    pages += 1;
    items.push(...(page.items ?? []));
    expect(page.Truncated ? typeof page.NextMarker : undefined).toBe(page.Truncated ? 'string' : undefined);
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return { items, pages };
}

function expectUnique(ids: string[]): void {
  expect(new Set(ids).size).toBe(ids.length);
}

describe('ListKeys', () => {
  it('defaults to 100 per page and lists every key once, AWS managed keys included', async () => {
    const kms = h.kms();
    const first = await kms.send(new ListKeysCommand({}));
    expect(first.Keys).toHaveLength(100);
    expect(first.Truncated).toBe(true);
    const { items, pages } = await pageAll((Marker) => kms.send(new ListKeysCommand({ Limit: 37, Marker })).then((p) => ({ ...p, items: p.Keys })));
    expect(pages).toBeGreaterThan(5);
    expectUnique(items.map((k) => k.KeyId!));
    const all = await kms.send(new ListKeysCommand({ Limit: 1000 }));
    expect(all.Truncated).toBe(false);
    expect(all.NextMarker).toBeUndefined();
    expect(items.map((k) => k.KeyArn)).toEqual(all.Keys!.map((k) => k.KeyArn));
    expect(items.length).toBeGreaterThan(250);
    expect(items.every((k) => k.KeyArn === `arn:aws:kms:us-east-1:111122223333:key/${k.KeyId}`)).toBe(true);
  });

  it('keeps its place when a key is created between pages', async () => {
    const kms = h.kms();
    const seen: string[] = [];
    let page = await kms.send(new ListKeysCommand({ Limit: 50 }));
    seen.push(...page.Keys!.map((k) => k.KeyId!));
    await h.createKey();
    while (page.Truncated) {
      page = await kms.send(new ListKeysCommand({ Limit: 50, Marker: page.NextMarker }));
      seen.push(...page.Keys!.map((k) => k.KeyId!));
    }
    expectUnique(seen);
    const total = (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys!.length;
    expect(seen.length).toBe(total);
  });

  it('only lists the keys of the request region', async () => {
    const eu = (await h.kms('eu-west-1').send(new ListKeysCommand({}))).Keys!;
    expect(eu.length).toBeGreaterThanOrEqual(3);
    expect(eu.every((k) => k.KeyArn!.startsWith('arn:aws:kms:eu-west-1:'))).toBe(true);
  });
});

describe('every List* pages and validates', () => {
  let keyArn: string;
  beforeAll(async () => {
    const kms = h.kms();
    keyArn = await h.createKey({ Description: 'pagination fixtures' });
    for (let i = 0; i < 12; i += 1) {
      await kms.send(new CreateGrantCommand({ KeyId: keyArn, GranteePrincipal: `arn:aws:iam::111122223333:role/app-${i}`, Operations: ['Decrypt', 'Encrypt'] }));
    }
    await kms.send(new TagResourceCommand({ KeyId: keyArn, Tags: Array.from({ length: 23 }, (_, i) => ({ TagKey: `k${String(i).padStart(2, '0')}`, TagValue: `v${i}` })) }));
    for (let i = 0; i < 7; i += 1) await kms.send(new RotateKeyOnDemandCommand({ KeyId: keyArn }));
  });

  const cases: Array<{
    name: string;
    max: number;
    fetch: (kms: KMSClient, arn: string, limit: number | undefined, marker: string | undefined) => Promise<Paged<unknown>>;
    id: (item: unknown) => string;
    expected: number;
  }> = [
    {
      name: 'ListAliases',
      max: 100,
      fetch: (kms, _arn, Limit, Marker) => kms.send(new ListAliasesCommand({ Limit, Marker })).then((p) => ({ ...p, items: p.Aliases })),
      id: (a) => (a as { AliasName: string }).AliasName,
      expected: 50 + 30, // generated estate aliases (every 5th of 250) plus the seeded ones
    },
    {
      name: 'ListGrants',
      max: 100,
      fetch: (kms, arn, Limit, Marker) => kms.send(new ListGrantsCommand({ KeyId: arn, Limit, Marker })).then((p) => ({ ...p, items: p.Grants })),
      id: (g) => (g as { GrantId: string }).GrantId,
      expected: 12,
    },
    {
      name: 'ListResourceTags',
      max: 50,
      fetch: (kms, arn, Limit, Marker) => kms.send(new ListResourceTagsCommand({ KeyId: arn, Limit, Marker })).then((p) => ({ ...p, items: p.Tags })),
      id: (t) => (t as { TagKey: string }).TagKey,
      expected: 23,
    },
    {
      name: 'ListKeyRotations',
      max: 1000,
      fetch: (kms, arn, Limit, Marker) => kms.send(new ListKeyRotationsCommand({ KeyId: arn, Limit, Marker })).then((p) => ({ ...p, items: p.Rotations })),
      id: (r) => (r as { KeyMaterialId: string }).KeyMaterialId,
      expected: 7,
    },
  ];

  for (const c of cases) {
    it(`${c.name}: several pages, every item exactly once`, async () => {
      const kms = h.kms();
      const limit = c.name === 'ListAliases' ? 7 : 3;
      const { items, pages } = await pageAll((marker) => c.fetch(kms, keyArn, limit, marker));
      const ids = items.map(c.id);
      expectUnique(ids);
      if (c.name === 'ListAliases') expect(ids.length).toBeGreaterThanOrEqual(c.expected);
      else expect(ids.length).toBe(c.expected);
      expect(pages).toBe(Math.ceil(ids.length / limit));
      const whole = await c.fetch(kms, keyArn, c.max, undefined);
      expect((whole.items ?? []).map(c.id)).toEqual(ids);
    });

    it(`${c.name}: refuses a bad marker and an out-of-range Limit`, async () => {
      const kms = h.kms();
      expect(await failure(c.fetch(kms, keyArn, undefined, 'not-a-marker'))).toMatchObject({ name: 'InvalidMarkerException' });
      // A marker from another operation is not valid either.
      const other = await kms.send(new ListKeysCommand({ Limit: 1 }));
      expect(await failure(c.fetch(kms, keyArn, undefined, other.NextMarker))).toMatchObject({ name: 'InvalidMarkerException' });
      expect(await failure(c.fetch(kms, keyArn, 0, undefined))).toMatchObject({
        name: 'ValidationException',
        message: "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
      });
      expect(await failure(c.fetch(kms, keyArn, c.max + 1, undefined))).toMatchObject({
        name: 'ValidationException',
        message: `1 validation error detected: Value '${c.max + 1}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to ${c.max}`,
      });
    });
  }

  it('ListKeys refuses a bad marker and Limit 1001', async () => {
    expect((await failure(h.kms().send(new ListKeysCommand({ Marker: 'bogus' })))).name).toBe('InvalidMarkerException');
    expect((await failure(h.kms().send(new ListKeysCommand({ Limit: 1001 })))).message).toBe(
      "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
  });

  it('uses the documented default page sizes', async () => {
    const kms = h.kms();
    expect((await kms.send(new ListAliasesCommand({}))).Aliases).toHaveLength(50);
    expect((await kms.send(new ListGrantsCommand({ KeyId: keyArn }))).Grants).toHaveLength(12);
  });
});

describe('a 10,000-key estate', () => {
  it('starts and pages through ListKeys, every key once', async () => {
    const big = await openHarness({ largeEstate: 10_000 });
    try {
      const { items, pages } = await pageAll((Marker) => big.kms().send(new ListKeysCommand({ Limit: 1000, Marker })).then((p) => ({ ...p, items: p.Keys })));
      expect(items.length).toBeGreaterThan(10_000);
      expectUnique(items.map((k) => k.KeyId!));
      expect(pages).toBe(Math.ceil(items.length / 1000));
    } finally {
      await big.close();
    }
  });
});
