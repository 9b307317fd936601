// A named profile that is in neither shared file makes the SDK say only "Could not load
// credentials from any providers". Look first, and name the profile and the files instead.

import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KeywardenError } from '../domain/errors.js';

async function sections(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  return [...text.matchAll(/^\s*\[([^\]]+)\]\s*(?:[#;].*)?$/gm)].map((m) => m[1]!.trim());
}

/** The profiles defined in the shared config and credentials files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE). */
export async function listProfiles(env: NodeJS.ProcessEnv = process.env): Promise<{ profiles: string[]; files: string[] }> {
  const home = env.HOME || env.USERPROFILE || homedir();
  const configFile = env.AWS_CONFIG_FILE || join(home, '.aws', 'config');
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials');
  const fromConfig = (await sections(configFile))
    .map((name) => (name === 'default' ? name : /^profile\s+(.+)$/.exec(name)?.[1]?.trim()))
    .filter((name): name is string => name !== undefined);
  const fromCredentials = await sections(credentialsFile);
  return { profiles: [...new Set([...fromConfig, ...fromCredentials])].sort(), files: [configFile, credentialsFile] };
}

/** Throws a clear error when `profile` is defined in neither shared file. */
export async function assertProfileExists(profile: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { profiles, files } = await listProfiles(env);
  if (profiles.includes(profile)) return;
  const known = profiles.length > 0 ? `profiles there: ${profiles.join(', ')}` : 'no profiles are defined there';
  throw new KeywardenError('usage', `unknown AWS profile "${profile}": it is not in ${files.join(' or ')} (${known})`);
}
