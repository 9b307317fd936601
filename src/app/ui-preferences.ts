// The keys list's columns as the operator chose them (v, the column chooser), kept for the next
// start in `<data dir>/ui-preferences.json` — written by keywarden, not edited by hand like
// config.json. A file that cannot be read or is not as keywarden writes it is left as it is (never
// overwritten) and the defaults are used.

import path from 'node:path';
import { z } from 'zod';
import { COLUMN_IDS, type ColumnId } from '../domain/table.js';
import { readRecord, writeRecord } from '../journal/atomic-record.js';
import { dataDir } from '../journal/paths.js';

const PREFERENCES_VERSION = 1;

const preferencesSchema = z.object({
  version: z.literal(PREFERENCES_VERSION),
  /** Column ids; ids this version does not know are ignored (a newer keywarden may have written them). */
  hiddenColumns: z.array(z.string()),
});

export interface UiPreferences {
  hiddenColumns: ColumnId[];
}

export interface LoadedUiPreferences {
  preferences: UiPreferences;
  /** False when the file exists but is not usable: it is kept as it is, and nothing is saved over it. */
  canSave: boolean;
  /** Why the file was not used, when it was not. */
  problem?: string;
}

export function uiPreferencesFile(): string {
  return path.join(dataDir(), 'ui-preferences.json');
}

const isColumnId = (id: string): id is ColumnId => (COLUMN_IDS as readonly string[]).includes(id);

export async function loadUiPreferences(file: string = uiPreferencesFile()): Promise<LoadedUiPreferences> {
  const read = await readRecord(file, preferencesSchema);
  if (read.ok) return { preferences: { hiddenColumns: [...new Set(read.value.hiddenColumns.filter(isColumnId))].filter((id) => id !== 'alias') }, canSave: true };
  if (read.reason === 'missing') return { preferences: { hiddenColumns: [] }, canSave: true };
  return { preferences: { hiddenColumns: [] }, canSave: false, problem: read.detail };
}

export async function saveUiPreferences(preferences: UiPreferences, file: string = uiPreferencesFile()): Promise<void> {
  await writeRecord(file, { version: PREFERENCES_VERSION, hiddenColumns: preferences.hiddenColumns });
}
