// The operator's config file: `<config dir>/config.json` (XDG on Linux, `$KEYWARDEN_HOME/config`
// when set). Today it holds the findings thresholds; flags override it. A config file that
// exists but cannot be used is an error naming the file — never silently ignored.
//
//   {
//     "thresholds": {
//       "unusedDays": 90, "disabledDays": 30, "recentUseDays": 30, "maxRotationDays": 365,
//       "adminRoles": ["Admin", "KeyAdmin", "OrganizationAccountAccessRole"],
//       "guardDays": 365, "breakGlassRole": "arn:aws:iam::111122223333:role/BreakGlass"
//     },
//     "suppressions": [
//       { "id": "rotation-off", "key": "alias/legacy/old-batch", "reason": "retired in Q1", "expires": "2027-03-31" }
//     ]
//   }
//
// A suppression names a finding id, optionally a key (alias, key id or key ARN; every key when
// absent), a reason and an expiry date: `keywarden findings` shows suppressed findings as
// suppressed (never drops them) and an expired suppression no longer applies.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { KeywardenError, systemErrorMeaning } from '../domain/errors.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../domain/findings.js';
import { configDir } from '../journal/paths.js';

const days = (max: number) => z.number().int().min(1).max(max);

export const thresholdsSchema = z
  .object({
    unusedDays: days(3650),
    disabledDays: days(3650),
    recentUseDays: days(3650),
    maxRotationDays: z.number().int().min(90).max(2560),
    adminRoles: z.array(z.string().min(1)),
    guardDays: days(3650),
    breakGlassRole: z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)'),
  })
  .partial()
  .strict();

export const suppressionSchema = z
  .object({
    /** The finding id (catalogue: keywarden findings --catalogue). */
    id: z.string().min(1),
    /** Alias (with or without alias/), key id or key ARN; every key when absent. */
    key: z.string().min(1).optional(),
    reason: z.string().trim().min(1, 'a suppression needs a reason'),
    /** YYYY-MM-DD: the suppression applies up to and including this day (UTC). */
    expires: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date, YYYY-MM-DD').refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)), 'is not a real date'),
  })
  .strict();

export type SuppressionConfig = z.infer<typeof suppressionSchema>;

export const configSchema = z
  .object({
    /** Lets a config file name its schema for editors; ignored. */
    $schema: z.string().optional(),
    thresholds: thresholdsSchema.optional(),
    suppressions: z.array(suppressionSchema).optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configSchema>;

export interface KeywardenConfig {
  /** The file read, or that would be read (it may not exist). */
  file: string;
  /** Whether the file existed. */
  found: boolean;
  thresholds: Thresholds;
  /** Findings the operator accepts for a while, with a reason (keywarden findings shows them as suppressed). */
  suppressions: SuppressionConfig[];
}

/** `<config dir>/config.json`. */
export function configPath(): string {
  return path.join(configDir(), 'config.json');
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

/** Reads and validates the config (default: configPath()). Missing → defaults; unusable → a validation error naming the file. */
export async function loadConfig(file: string = configPath()): Promise<KeywardenConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { file, found: false, thresholds: { ...DEFAULT_THRESHOLDS, adminRoles: [...DEFAULT_THRESHOLDS.adminRoles] }, suppressions: [] };
    const meaning = systemErrorMeaning(code);
    throw new KeywardenError('validation', `the config file ${file} cannot be read: ${meaning ? `${meaning} (${code})` : (code ?? (error instanceof Error ? error.message : String(error)))}`, { cause: error });
  }
  return { file, found: true, thresholds: parseConfigText(text, file), suppressions: parseConfigFile(text, file).suppressions ?? [] };
}

/** Validates config text; throws a validation error naming `file` when it is not usable. */
export function parseConfigText(text: string, file: string): Thresholds {
  const data = parseConfigFile(text, file);
  return { ...DEFAULT_THRESHOLDS, ...data.thresholds, adminRoles: [...(data.thresholds?.adminRoles ?? DEFAULT_THRESHOLDS.adminRoles)] };
}

/** The whole config file, validated; throws a validation error naming `file` when it is not usable. */
export function parseConfigFile(text: string, file: string): ConfigFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new KeywardenError('validation', `the config file ${file} is not valid JSON (${error instanceof Error ? error.message : String(error)}); fix or remove it`);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) throw new KeywardenError('validation', `the config file ${file} is not valid: ${describeIssues(parsed.error)}; fix or remove it`);
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Flags

/** The threshold flags as meow gives them (strings; undefined when absent). */
export interface ThresholdFlags {
  unusedDays?: string | undefined;
  disabledDays?: string | undefined;
  recentUseDays?: string | undefined;
  maxRotationDays?: string | undefined;
  /** Comma-separated role-name patterns; replaces the configured list. */
  adminRoles?: string | undefined;
}

export type ThresholdOverrides = Partial<Thresholds>;

export type ParsedThresholdFlags = { ok: true; overrides: ThresholdOverrides } | { ok: false; message: string };

const FLAG_NAMES: Record<Exclude<keyof ThresholdFlags, 'adminRoles'>, { flag: string; min: number; max: number }> = {
  unusedDays: { flag: '--unused-days', min: 1, max: 3650 },
  disabledDays: { flag: '--disabled-days', min: 1, max: 3650 },
  recentUseDays: { flag: '--recent-use-days', min: 1, max: 3650 },
  maxRotationDays: { flag: '--max-rotation-days', min: 90, max: 2560 },
};

/** Validates `--unused-days N`, `--disabled-days N`, `--recent-use-days N`, `--max-rotation-days N`, `--admin-roles A,B`. */
export function parseThresholdFlags(flags: ThresholdFlags): ParsedThresholdFlags {
  const overrides: ThresholdOverrides = {};
  for (const [name, spec] of Object.entries(FLAG_NAMES) as Array<[keyof typeof FLAG_NAMES, (typeof FLAG_NAMES)[keyof typeof FLAG_NAMES]]>) {
    const value = flags[name];
    if (value === undefined) continue;
    const text = value.trim();
    if (!/^\d+$/.test(text) || Number(text) < spec.min || Number(text) > spec.max) {
      return { ok: false, message: `${spec.flag} must be a whole number of days from ${spec.min} to ${spec.max}, not "${value}"` };
    }
    overrides[name] = Number(text);
  }
  if (flags.adminRoles !== undefined) {
    const roles = flags.adminRoles
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r !== '');
    if (roles.length === 0) return { ok: false, message: '--admin-roles needs at least one role-name pattern (comma-separated)' };
    overrides.adminRoles = roles;
  }
  return { ok: true, overrides };
}

/** The config's thresholds with the flags' overrides on top. */
export function resolveThresholds(base: Thresholds, overrides: ThresholdOverrides): Thresholds {
  return { ...base, ...overrides, adminRoles: [...(overrides.adminRoles ?? base.adminRoles)] };
}

/** Config file, then flags: the thresholds a command or the TUI should use. */
export async function loadThresholds(overrides: ThresholdOverrides = {}, file?: string): Promise<Thresholds> {
  const config = await loadConfig(file);
  return resolveThresholds(config.thresholds, overrides);
}
