import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadUiPreferences, saveUiPreferences } from './ui-preferences.js';

const dir = () => mkdtempSync(join(tmpdir(), 'kw-ui-prefs-'));

describe('UI preferences on disk', () => {
  it('keeps the hidden columns from one start to the next', async () => {
    const file = join(dir(), 'ui-preferences.json');
    expect(await loadUiPreferences(file)).toEqual({ preferences: { hiddenColumns: [] }, canSave: true });
    await saveUiPreferences({ hiddenColumns: ['keyId', 'created'] }, file);
    expect(await loadUiPreferences(file)).toEqual({ preferences: { hiddenColumns: ['keyId', 'created'] }, canSave: true });
  });

  it('ignores column ids it does not know, and never hides the alias', async () => {
    const file = join(dir(), 'ui-preferences.json');
    writeFileSync(file, JSON.stringify({ version: 1, hiddenColumns: ['keyId', 'futureColumn', 'alias', 'keyId'] }));
    expect((await loadUiPreferences(file)).preferences.hiddenColumns).toEqual(['keyId']);
  });

  it('leaves a file it cannot use as it is and says why; nothing is saved over it', async () => {
    const file = join(dir(), 'ui-preferences.json');
    writeFileSync(file, '{"version": 1, "hiddenColumns": "keyId"');
    const loaded = await loadUiPreferences(file);
    expect(loaded.canSave).toBe(false);
    expect(loaded.preferences.hiddenColumns).toEqual([]);
    expect(loaded.problem).toContain('ui-preferences.json is not valid JSON');
    expect(readFileSync(file, 'utf8')).toBe('{"version": 1, "hiddenColumns": "keyId"');
  });
});
